import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { HTTPMethods } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../store/fixtures.ts';
import { startTestServer, type TestServer } from './helpers.ts';

describe('OpenAPI document, static web app and security headers', () => {
  const site = tempDir('gramlens-site-');
  let server: TestServer;
  const routes: { method: HTTPMethods; url: string }[] = [];

  beforeAll(async () => {
    writeFileSync(join(site.path, 'index.html'), '<!doctype html><title>gramlens</title><div id="app"></div>');
    mkdirSync(join(site.path, 'assets'));
    writeFileSync(join(site.path, 'assets', 'app.js'), 'console.log("hi")');
    writeFileSync(join(site.path, 'sw.js'), 'self.addEventListener("fetch", () => {})');
    writeFileSync(join(site.path, 'manifest.webmanifest'), '{"name":"gramlens"}');
    server = await startTestServer({ staticDir: site.path }, (app) =>
      app.addHook('onRoute', (route) => {
        for (const method of [route.method].flat()) if (method !== 'HEAD' && route.url.startsWith('/api/')) routes.push({ method, url: route.url });
      }),
    );
  });
  afterAll(async () => {
    await server.close();
    site.remove();
  });

  it('lists every route with its method, summary, roles and schemas', async () => {
    const response = await server.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toBe('3.1.0');
    const listed = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const registered = routes.map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
    expect(listed.sort()).toEqual(registered.sort());
    expect(registered.length).toBeGreaterThan(30);

    for (const [path, operations] of Object.entries(document.paths as Record<string, Record<string, Record<string, unknown>>>)) {
      for (const [method, operation] of Object.entries(operations)) {
        expect(operation.summary, `${method} ${path}`).toMatch(/\w/);
        expect(Array.isArray(operation['x-roles']), `${method} ${path}`).toBe(true);
        const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        const declared = (operation.parameters as { name: string; in: string }[]).filter((p) => p.in === 'path').map((p) => p.name);
        expect(declared, `${method} ${path}`).toEqual(pathParams);
        if (method === 'post' || method === 'patch') {
          const needsBody = !path.endsWith('/undo') && !path.endsWith('/cancel') && !path.endsWith('/activate') && !path.endsWith('/logout');
          if (needsBody) expect(operation.requestBody, `${method} ${path}`).toBeDefined();
        }
      }
    }
    const login = document.paths['/api/auth/login'].post;
    expect(login['x-roles']).toEqual([]);
    expect(login.requestBody.content['application/json'].schema.required).toEqual(['username', 'password']);
    const predict = document.paths['/api/predict'].post;
    expect(predict['x-roles']).toEqual(['clinician', 'admin']);
    expect(predict.requestBody.content['multipart/form-data'].schema.required).toEqual(['image', 'specimenType']);
    expect(document.paths['/api/runs/{id}/events'].get.responses['200'].content).toHaveProperty('text/event-stream');
  });

  it('documents every annotation route, across the project plugins, under its tag with its roles', async () => {
    const document = (await server.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const annotation = Object.entries(document.paths as Record<string, Record<string, { tags: string[]; 'x-roles': string[] }>>).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) => operation.tags.includes('annotation'))
        .map(([method, operation]) => `${method.toUpperCase()} ${path} ${operation['x-roles'].join('+')}`),
    );
    expect(annotation.sort()).toEqual([
      'GET /api/projects annotator+admin',
      'GET /api/projects/{id} annotator+admin',
      'GET /api/projects/{id}/agreement admin',
      'GET /api/projects/{id}/disagreements admin',
      'GET /api/projects/{id}/images admin',
      'GET /api/projects/{id}/manifest.csv admin',
      'GET /api/projects/{id}/queue/next annotator+admin',
      'POST /api/projects admin',
      'POST /api/projects/{id}/adjudications admin',
      'POST /api/projects/{id}/annotations annotator+admin',
      'POST /api/projects/{id}/annotations/undo annotator+admin',
      'POST /api/projects/{id}/images admin',
    ]);
  });

  it('serves the web app with a fallback to index.html for client-side routes', async () => {
    // over real HTTP: the SPA fallback streams a file, which inject's fake response handles less well
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
    const root = await fetch(`${base}/`);
    expect(root.status).toBe(200);
    expect(await root.text()).toContain('<div id="app">');
    const deepLink = await fetch(`${base}/projects/3/annotate?x=1`);
    expect(deepLink.status).toBe(200);
    expect(deepLink.headers.get('content-type')).toContain('text/html');
    expect(deepLink.headers.get('content-security-policy')).toMatch(/^default-src 'self'/);
    expect(await deepLink.text()).toContain('<div id="app">');
    const asset = await fetch(`${base}/assets/app.js`);
    expect(asset.status).toBe(200);
    expect(await asset.text()).toBe('console.log("hi")');
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
    expect(await (await fetch(`${base}/%2e%2e/%2e%2e/etc/passwd`)).text()).not.toContain('root:');
    const unknownApi = await fetch(`${base}/api/nope`);
    expect(unknownApi.status).toBe(404);
    expect(await unknownApi.json()).toEqual({ error: 'not found: GET /api/nope' });
    expect((await fetch(`${base}/projects`, { method: 'DELETE' })).status).toBe(404);
  });

  it('serves the service worker from the root and the manifest as a manifest, both revalidated on every load', async () => {
    const worker = await server.app.inject({ method: 'GET', url: '/sw.js' });
    expect(worker.statusCode).toBe(200);
    expect(worker.headers['content-type']).toMatch(/javascript/);
    expect(worker.headers['cache-control']).toBe('no-cache');
    expect(worker.headers['content-security-policy']).toMatch(/^default-src 'self'; script-src 'self'/);
    const manifest = await server.app.inject({ method: 'GET', url: '/manifest.webmanifest' });
    expect(manifest.headers['content-type']).toMatch(/^application\/manifest\+json/);
    expect(manifest.headers['cache-control']).toBe('no-cache');
    expect(manifest.json()).toEqual({ name: 'gramlens' });
    expect((await server.app.inject({ method: 'GET', url: '/' })).headers['cache-control']).toBe('no-cache');
    expect((await server.app.inject({ method: 'GET', url: '/assets/app.js' })).headers['cache-control']).not.toBe('no-cache');
  });

  it('sends security headers on pages and API responses, and never caches API responses', async () => {
    for (const url of ['/', '/api/openapi.json', '/api/auth/me', '/assets/app.js']) {
      const response = await server.app.inject({ method: 'GET', url });
      expect(response.headers['content-security-policy'], url).toMatch(/^default-src 'self'; script-src 'self'/);
      expect(response.headers['x-content-type-options'], url).toBe('nosniff');
      expect(response.headers['referrer-policy'], url).toBe('no-referrer');
      if (url.startsWith('/api/')) expect(response.headers['cache-control'], url).toBe('no-store');
    }
  });

  it('limits JSON bodies (1 MB by default)', async () => {
    const response = await server.as('admin', {
      method: 'POST',
      url: '/api/projects',
      payload: { name: 'x'.repeat(2 * 1024 * 1024), classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 1 },
    });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({ error: expect.any(String) });
  });
});
