import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/index.ts';
import { ANY_ROLE, currentUser, SESSION_COOKIE } from '../access.ts';
import { HttpError } from '../errors.ts';
import { routeOptionsTagged } from '../route-options.ts';
import { iso, timeSchema } from '../schemas.ts';

export interface AuthRoutesOptions {
  store: Store;
  sessionTtlMs: number;
  secureCookies: boolean;
}

interface LoginBody {
  username: string;
  password: string;
}

const sessionSchema = {
  type: 'object',
  required: ['user', 'expiresAt'],
  properties: {
    user: {
      type: 'object',
      required: ['id', 'username', 'role'],
      properties: { id: { type: 'integer' }, username: { type: 'string' }, role: { type: 'string' } },
    },
    expiresAt: timeSchema,
  },
} as const;

export async function authRoutes(app: FastifyInstance, { store, sessionTtlMs, secureCookies }: AuthRoutesOptions): Promise<void> {
  const route = routeOptionsTagged('auth');

  app.post<{ Body: LoginBody }>(
    '/auth/login',
    route('public', {
      summary: 'Log in; sets the HttpOnly session cookie',
      description:
        'Failed attempts are limited per username and client IP, per client IP and overall; over a limit the answer is 429 with Retry-After. ' +
        'Unknown users, wrong passwords and disabled accounts get the same 401. Passwords are checked on a worker thread with a bounded queue: when it is full, 503 with Retry-After.',
      body: {
        type: 'object',
        required: ['username', 'password'],
        additionalProperties: false,
        properties: { username: { type: 'string', minLength: 1, maxLength: 200 }, password: { type: 'string', minLength: 1, maxLength: 1000 } },
      },
      response: { 200: sessionSchema },
    }),
    async (request, reply) => {
      const { username, password } = request.body;
      // Counted as a failure before the (slow) password check, so parallel guesses cannot slip past the limit.
      const permission = await store.loginAttempts.admit(username, request.ip);
      if (!permission.allowed) {
        const seconds = Math.ceil(permission.retryAfterMs / 1000);
        reply.header('retry-after', String(seconds));
        throw new HttpError(429, `Too many failed logins; try again in ${seconds} s`);
      }
      const user = await store.users.verifyPassword(username, password);
      // A disabled account answers like a wrong password, right password or not: no oracle.
      if (!user || user.disabled) throw new HttpError(401, 'Wrong username or password');
      await store.loginAttempts.clear(username, request.ip);
      const session = await store.sessions.create(user.id, sessionTtlMs);
      reply.setCookie(SESSION_COOKIE, session.token, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: secureCookies,
        expires: new Date(session.expiresAt),
      });
      return { user: { id: user.id, username: user.username, role: user.role }, expiresAt: iso(session.expiresAt) };
    },
  );

  app.post(
    '/auth/logout',
    route(ANY_ROLE, { summary: 'End the current session', response: { 204: { type: 'null' } } }),
    async (request, reply) => {
      if (request.session) await store.sessions.revoke(request.session.token);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send();
    },
  );

  app.get(
    '/auth/me',
    route(ANY_ROLE, { summary: 'The logged-in user and when the session expires', response: { 200: sessionSchema } }),
    async (request) => {
      return { user: currentUser(request), expiresAt: iso(request.session!.expiresAt) };
    },
  );
}
