import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/index.ts';
import { pngImage, tempDir } from '../store/fixtures.ts';
import { describeBackends, ADMIN_PASSWORD, fakePredictor, login, multipart, startTestServer, type TestServer } from './helpers.ts';

// app.inject reaches the server as Host "localhost:80": its own origin is http://localhost.
const OWN_ORIGIN = 'http://localhost';

describeBackends('state-changing requests from other sites (CSRF)', (backend) => {
  let server: TestServer;
  let projectId: number;
  let modelId: number;
  let image: Buffer;

  beforeAll(async () => {
    server = await startTestServer({ backend, predictor: fakePredictor() });
    image = await pngImage(77);
    projectId = (
      await server.as('admin', { method: 'POST', url: '/api/projects', payload: { name: 'csrf', classTree: [{ name: 'cocci' }, { name: 'rods' }], labelsRequired: 1 } })
    ).json().id;
    const uploaded = await server.as('admin', { method: 'POST', url: `/api/projects/${projectId}/images`, ...multipart([{ name: 'image', filename: 'a.png', data: image }]) });
    await server.as('annotator', { method: 'POST', url: `/api/projects/${projectId}/annotations`, payload: { image: uploaded.json().image.sha256, label: 'rods' } });
    const bundle = join(server.dataDir, 'bundle');
    mkdirSync(bundle);
    modelId = (await server.as('admin', { method: 'POST', url: '/api/models', payload: { path: bundle, name: 'm', version: '1' } })).json().id;
  });
  afterAll(() => server.close());

  const predictForm = () => multipart([{ name: 'image', filename: 'x.png', data: image }, { name: 'specimenType', value: 'blood' }]);
  const uploadForm = () => multipart([{ name: 'image', filename: 'x.png', data: image }]);
  const forged = (origin: Record<string, string>) => [
    () => server.as('clinician', { method: 'POST', url: '/api/predict', ...predictForm(), headers: { ...predictForm().headers, ...origin } }),
    () => server.as('admin', { method: 'POST', url: `/api/projects/${projectId}/images`, ...uploadForm(), headers: { ...uploadForm().headers, ...origin } }),
    () => server.as('admin', { method: 'POST', url: `/api/models/${modelId}/activate`, headers: { 'content-type': 'text/plain', ...origin }, payload: 'x' }),
    () => server.as('annotator', { method: 'POST', url: `/api/projects/${projectId}/annotations/undo`, headers: { 'content-type': 'text/plain', ...origin }, payload: 'x' }),
  ];

  it.each([
    ['another site', { origin: 'http://evil.example' }],
    ['another port of the same host', { origin: 'http://localhost:8081' }],
    ['an opaque origin', { origin: 'null' }],
    ['a sibling subdomain, told by Sec-Fetch-Site only', { 'sec-fetch-site': 'same-site' }],
    ['another site, told by Sec-Fetch-Site only', { 'sec-fetch-site': 'cross-site' }],
  ])('refuses uploads, activation and undo from %s with 403', async (_what, origin) => {
    for (const send of forged(origin)) {
      const response = await send();
      expect(response.statusCode).toBe(403);
      expect(response.json().error).toMatch(/another site/);
    }
    const predictions = await server.as('admin', { method: 'GET', url: '/api/predictions' });
    expect(predictions.json()).toEqual([]);
    expect((await server.as('clinician', { method: 'GET', url: '/api/models' })).json()[0].active).toBe(false);
  });

  it('refuses a forged login too, but lets anyone read', async () => {
    const login = await server.app.inject({ method: 'POST', url: '/api/auth/login', headers: { origin: 'http://evil.example' }, payload: { username: 'admin', password: ADMIN_PASSWORD } });
    expect(login.statusCode).toBe(403);
    expect(login.headers['set-cookie']).toBeUndefined();
    expect((await server.as('admin', { method: 'GET', url: '/api/runs', headers: { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' } })).statusCode).toBe(200);
  });

  it('refuses bodies that are not what the route reads with 415, before running it', async () => {
    const activateAsText = await server.as('admin', { method: 'POST', url: `/api/models/${modelId}/activate`, headers: { 'content-type': 'text/plain', origin: OWN_ORIGIN }, payload: '{}' });
    expect(activateAsText.statusCode).toBe(415);
    const undoAsForm = await server.as('annotator', { method: 'POST', url: `/api/projects/${projectId}/annotations/undo`, ...multipart([{ name: 'a', value: 'b' }]) });
    expect(undoAsForm.statusCode).toBe(415);
    const urlEncoded = await server.as('admin', { method: 'POST', url: '/api/projects', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'name=x' });
    expect(urlEncoded.statusCode).toBe(415);
    const predictAsJson = await server.as('clinician', { method: 'POST', url: '/api/predict', payload: { specimenType: 'blood' } });
    expect(predictAsJson.statusCode).toBe(415);
    expect(predictAsJson.json()).toEqual({ error: 'Send this form as multipart/form-data' });
    expect((await server.as('clinician', { method: 'GET', url: '/api/models' })).json()[0].active).toBe(false);
  });

  it('accepts the same requests from its own pages', async () => {
    const own = { origin: OWN_ORIGIN, 'sec-fetch-site': 'same-origin' };
    const [predict, upload, , undo] = forged(own);
    expect((await predict()).statusCode).toBe(201);
    expect((await upload()).statusCode).toBe(200);
    const activation = await server.as('admin', { method: 'POST', url: `/api/models/${modelId}/activate`, headers: own });
    expect(activation.statusCode).toBe(200);
    const undone = await server.as('annotator', { method: 'POST', url: `/api/projects/${projectId}/annotations/undo`, headers: own });
    expect(undone.statusCode).toBe(200);
    expect((await undo()).statusCode).toBe(415);
  });
});

describe('allowed origins (a reverse proxy)', () => {
  it('accepts state-changing requests from a configured origin, and still refuses others', async () => {
    const dir = tempDir();
    const app = createServer({ dataDir: dir.path, initialAdmin: { username: 'admin', password: ADMIN_PASSWORD }, allowedOrigins: ['https://Gramlens.example.org:443'] });
    try {
      await app.ready();
      const cookie = await login(app, 'admin', ADMIN_PASSWORD);
      const create = (origin: string) =>
        app.inject({
          method: 'POST',
          url: '/api/projects',
          headers: { cookie, origin, 'sec-fetch-site': 'cross-site' },
          payload: { name: 'p', classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 1 },
        });
      expect((await create('https://gramlens.example.org')).statusCode).toBe(201);
      expect((await create('https://gramlens.example.org.evil.example')).statusCode).toBe(403);
      expect((await create('http://gramlens.example.org')).statusCode).toBe(403);
    } finally {
      await app.close();
      dir.remove();
    }
  });

  it('refuses a malformed allowed origin at start, before opening the data folder', async () => {
    const dir = tempDir();
    const dataDir = join(dir.path, 'data');
    try {
      expect(() => createServer({ dataDir, allowedOrigins: ['gramlens.example.org/path'] })).toThrow(/http\(s\):\/\/host/);
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      dir.remove();
    }
  });
});
