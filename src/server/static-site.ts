import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Serves the built web app; index.html is revalidated on every load so a new build shows up at once. */
export async function serveStaticSite(app: FastifyInstance, staticDir: string): Promise<void> {
  const root = resolve(staticDir);
  if (!existsSync(root)) throw new Error(`the static folder ${root} does not exist (build the web app first)`);
  await app.register(fastifyStatic, {
    root,
    wildcard: true,
    index: 'index.html',
    setHeaders: (response, path) => {
      if (basename(path) === 'index.html') response.setHeader('cache-control', 'no-cache');
    },
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
