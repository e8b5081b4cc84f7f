import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Revalidated on every load, so a new build shows up at once: the page, the service worker (its updates) and the manifest. */
const REVALIDATED = new Set(['index.html', 'sw.js', 'manifest.webmanifest']);

/**
 * Serves the built web app. The service worker is served from the root, so its scope is the whole
 * app; the CSP's default-src 'self' covers it (worker-src) and the manifest (manifest-src).
 */
export async function serveStaticSite(app: FastifyInstance, staticDir: string): Promise<void> {
  const root = resolve(staticDir);
  if (!existsSync(root)) throw new Error(`the static folder ${root} does not exist (build the web app first)`);
  await app.register(fastifyStatic, {
    root,
    wildcard: true,
    index: 'index.html',
  });
  // In a hook, not the plugin's setHeaders: the file server's own cache-control would overwrite that.
  app.addHook('onSend', async (request, reply) => {
    const path = request.url.split('?')[0];
    const name = path.endsWith('/') ? 'index.html' : basename(path);
    if (REVALIDATED.has(name)) reply.header('cache-control', 'no-cache');
    if (name === 'manifest.webmanifest') reply.type('application/manifest+json; charset=utf-8');
  });
}

/**
 * Unknown /api paths get a JSON 404; with a web app, other GET paths without a file extension get
 * index.html so the app's client-side routes survive a reload.
 */
export function notFoundHandler(hasStaticSite: boolean) {
  return async function handleNotFound(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const path = request.url.split('?')[0];
    const isApi = path === '/api' || path.startsWith('/api/');
    const isPage = (request.method === 'GET' || request.method === 'HEAD') && !basename(path).includes('.');
    if (hasStaticSite && !isApi && isPage) return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').sendFile('index.html');
    return reply.code(404).send({ error: `not found: ${request.method} ${path}` });
  };
}
