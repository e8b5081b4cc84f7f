import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from './errors.ts';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Browsers send these in Sec-Fetch-Site for a request the page's own origin made, or the user typed. */
const OWN_FETCH_SITES = new Set(['same-origin', 'none']);

/** "https://Example.org:443/" → "https://example.org" (scheme, host and non-default port: what Origin carries). */
export function normaliseOrigin(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`an origin is http(s)://host[:port]; got "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`an origin is http(s)://host[:port]; got "${text}"`);
  if (url.pathname !== '/' || url.search || url.hash || url.username) throw new Error(`an origin has no path, query or credentials; got "${text}"`);
  return url.origin;
}

function ownOrigin(request: FastifyRequest): string | null {
  try {
    return normaliseOrigin(`${request.protocol}://${request.host}`);
  } catch {
    return null;
  }
}

function mediaType(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Cross-site request forgery guard for every state-changing request (POST, PUT, PATCH, DELETE):
 * - an `Origin` header must be the server's own origin (scheme://Host as the request reached it) or
 *   one of `allowedOrigins` (e.g. the public address of a reverse proxy); "null" is refused;
 * - a `Sec-Fetch-Site` header must say same-origin (or none), unless the Origin is explicitly allowed;
 * - a body must be what the route reads: multipart/form-data on upload routes, JSON everywhere else
 *   (415 otherwise, before the body is read), so a cross-site `text/plain` or form post never lands.
 * Requests with neither header come from programs, not browsers (browsers send Origin on every
 * POST), and cannot carry a victim's cookie from another site: they pass.
 */
export function guardStateChanges(app: FastifyInstance, allowedOrigins: readonly string[]): void {
  const allowed = new Set(allowedOrigins.map(normaliseOrigin));
  app.addHook('onRequest', async (request) => {
    if (!STATE_CHANGING.has(request.method)) return;
    const origin = request.headers.origin;
    const explicitlyAllowed = origin !== undefined && allowed.has(origin.toLowerCase());
    if (origin !== undefined && !explicitlyAllowed && origin.toLowerCase() !== ownOrigin(request)) {
      throw new HttpError(403, `Refused: this request came from another site (${origin.slice(0, 100)})`);
    }
    const site = request.headers['sec-fetch-site'];
    if (typeof site === 'string' && !explicitlyAllowed && !OWN_FETCH_SITES.has(site)) {
      throw new HttpError(403, `Refused: this request came from another site (Sec-Fetch-Site: ${site.slice(0, 40)})`);
    }
    if (request.routeOptions.url === undefined || !hasBody(request)) return;
    const type = mediaType(request);
    if (request.routeOptions.schema?.formData) {
      if (type !== 'multipart/form-data') throw new HttpError(415, 'Send this form as multipart/form-data');
    } else if (type !== 'application/json') {
      throw new HttpError(415, 'Send the request body as JSON (Content-Type: application/json)');
    }
  });
}
