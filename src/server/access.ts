import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Role, SessionUser } from '../contract/index.ts';
import type { Store } from '../store/index.ts';
import { HttpError } from './errors.ts';

export const SESSION_COOKIE = 'gramlens_session';

/** Who may call a route: 'public', or the roles allowed (an admin is listed explicitly where allowed). */
export type Access = 'public' | readonly Role[];

export const ANY_ROLE: readonly Role[] = ['clinician', 'annotator', 'admin'];
export const ADMIN: readonly Role[] = ['admin'];
export const CLINICAL: readonly Role[] = ['clinician', 'admin'];
export const ANNOTATION: readonly Role[] = ['annotator', 'admin'];

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    user: SessionUser | null;
    session: { token: string; expiresAt: number } | null;
  }
}

/**
 * Every /api route must declare `config.access` (registration fails otherwise, so a new route
 * cannot forget its role check). Before anything else of a request runs, the session cookie is
 * resolved and the route's roles are enforced: no or bad session → 401, wrong role → 403.
 */
export function enforceAccess(app: FastifyInstance, store: Store): void {
  app.decorateRequest('user', null);
  app.decorateRequest('session', null);

  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/') && route.config?.access === undefined) {
      throw new Error(`${String(route.method)} ${route.url} declares no access roles (config.access)`);
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config.access;
    if (access === undefined || access === 'public') return;
    const token = request.cookies[SESSION_COOKIE];
    if (!token) throw new HttpError(401, 'Not logged in');
    const session = await store.sessions.lookup(token);
    if (session.status !== 'valid') {
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      if (session.status === 'expired') throw new HttpError(401, 'Your session has expired; please log in again');
      if (session.status === 'disabled') throw new HttpError(401, 'This account is disabled');
      throw new HttpError(401, 'Not logged in (the session is unknown or was ended)');
    }
    request.user = session.user;
    request.session = { token, expiresAt: session.expiresAt };
    if (!access.includes(session.user.role)) throw new HttpError(403, `Only ${access.join(' or ')} users may do this`);
  });
}

/** The logged-in user of a route that requires one (guaranteed by enforceAccess). */
export function currentUser(request: FastifyRequest): SessionUser {
  if (!request.user) throw new HttpError(401, 'Not logged in');
  return request.user;
}
