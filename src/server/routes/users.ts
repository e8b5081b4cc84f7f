import type { FastifyInstance } from 'fastify';
import type { Role } from '../../contract/index.ts';
import { MAX_USERNAME_LENGTH, ROLES, type Store } from '../../store/index.ts';
import { ADMIN } from '../access.ts';
import { idParams, userSchema, userView } from '../schemas.ts';

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

const passwordSchema = { type: 'string', minLength: 8, maxLength: 72, description: 'at least 8 characters, at most 72 bytes' } as const;

export async function userRoutes(app: FastifyInstance, { store }: UserRoutesOptions): Promise<void> {
  app.get(
    '/users',
    { config: { access: ADMIN }, schema: { summary: 'List users', tags: ['users'], response: { 200: { type: 'array', items: userSchema } } } },
    async () => store.users.list().map(userView),
  );

  app.post<{ Body: NewUserBody }>(
    '/users',
    {
      config: { access: ADMIN },
      schema: {
        summary: 'Create a user',
        tags: ['users'],
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
      },
    },
    async (request, reply) => reply.code(201).send(userView(await store.users.create(request.body))),
  );

  app.patch<{ Params: { id: number }; Body: UserChangeBody }>(
    '/users/:id',
    {
      config: { access: ADMIN },
      schema: {
        summary: "Change a user's role, disable or enable them, or set a new password",
        description: 'Disabling a user or changing their password ends their sessions. The last enabled admin cannot be disabled or demoted.',
        tags: ['users'],
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: { role: { type: 'string', enum: [...ROLES] }, disabled: { type: 'boolean' }, password: passwordSchema },
        },
        response: { 200: userSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { password, ...changes } = request.body;
      const user = store.users.update(id, changes);
      if (password !== undefined) await store.users.setPassword(id, password);
      if (password !== undefined || user.disabled) store.sessions.revokeAllOf(id);
      return userView(user);
    },
  );
}
