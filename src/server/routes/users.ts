import type { FastifyInstance } from 'fastify';
import type { Role } from '../../contract/index.ts';
import { MAX_PASSWORD_BYTES, MAX_USERNAME_LENGTH, MIN_PASSWORD_LENGTH, ROLES, type Store } from '../../store/index.ts';
import { ADMIN } from '../access.ts';
import { routeOptionsTagged } from '../route-options.ts';
import { idParams, userSchema, userView, type ById } from '../schemas.ts';

export interface UserRoutesOptions {
  store: Store;
}

interface NewUserBody {
  username: string;
  password: string;
  role: Role;
}

interface UserChangeBody {
  role?: Role;
  disabled?: boolean;
  password?: string;
}

const passwordSchema = {
  type: 'string',
  minLength: MIN_PASSWORD_LENGTH,
  maxLength: MAX_PASSWORD_BYTES,
  description: `at least ${MIN_PASSWORD_LENGTH} characters, at most ${MAX_PASSWORD_BYTES} bytes, not a common password (nor one with digits or symbols around it, a run of keys or a repetition)`,
} as const;

export async function userRoutes(app: FastifyInstance, { store }: UserRoutesOptions): Promise<void> {
  const route = routeOptionsTagged('users');

  app.get(
    '/users',
    route(ADMIN, { summary: 'List users', response: { 200: { type: 'array', items: userSchema } } }),
    async () => (await store.users.list()).map(userView),
  );

  app.post<{ Body: NewUserBody }>(
    '/users',
    route(ADMIN, {
      summary: 'Create a user',
      body: {
        type: 'object',
        required: ['username', 'password', 'role'],
        additionalProperties: false,
        properties: {
          username: { type: 'string', minLength: 1, maxLength: MAX_USERNAME_LENGTH },
          password: passwordSchema,
          role: { type: 'string', enum: [...ROLES] },
        },
      },
      response: { 201: userSchema },
    }),
    async (request, reply) => reply.code(201).send(userView(await store.users.create(request.body))),
  );

  app.patch<ById & { Body: UserChangeBody }>(
    '/users/:id',
    route(ADMIN, {
      summary: "Change a user's role, disable or enable them, or set a new password",
      description: 'Disabling a user or changing their password ends their sessions. The last enabled admin cannot be disabled or demoted.',
      params: idParams,
      body: {
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        properties: { role: { type: 'string', enum: [...ROLES] }, disabled: { type: 'boolean' }, password: passwordSchema },
      },
      response: { 200: userSchema },
    }),
    async (request) => {
      const { id } = request.params;
      const { password, ...changes } = request.body;
      const user = await store.users.update(id, changes);
      if (password !== undefined) await store.users.setPassword(id, password);
      if (password !== undefined || user.disabled) await store.sessions.revokeAllOf(id);
      return userView(user);
    },
  );
}
