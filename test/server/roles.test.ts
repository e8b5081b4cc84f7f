import type { FastifyInstance, HTTPMethods } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServer, type Access } from '../../src/server/index.ts';
import type { Role } from '../../src/contract/index.ts';
import { tempDir } from '../store/fixtures.ts';
import { describeBackends, startTestServer, type TestServer, type TestUser } from './helpers.ts';

const ANY: Role[] = ['clinician', 'annotator', 'admin'];
const ADMIN: Role[] = ['admin'];
const CLINICAL: Role[] = ['clinician', 'admin'];
const ANNOTATION: Role[] = ['annotator', 'admin'];

/** The access policy, route by route. A route missing here fails the test. */
const POLICY: Record<string, Access> = {
  'POST /api/auth/login': 'public',
  'POST /api/auth/logout': ANY,
  'GET /api/auth/me': ANY,
  'GET /api/users': ADMIN,
  'POST /api/users': ADMIN,
  'PATCH /api/users/:id': ADMIN,
  'POST /api/predict': CLINICAL,
  'POST /api/predict/field': CLINICAL,
  'GET /api/predictions': CLINICAL,
  'GET /api/predictions/:id': CLINICAL,
  'GET /api/predictions/:id/heatmap.png': CLINICAL,
  'GET /api/predictions/:id/tilemap.png': CLINICAL,
  'POST /api/predictions/:id/feedback': CLINICAL,
  'POST /api/predictions/sync': CLINICAL,
  'POST /api/predictions/feedback/sync': CLINICAL,
  'GET /api/models/active/version': CLINICAL,
  'GET /api/audit.csv': ADMIN,
  'GET /api/images/:sha': ANY,
  'GET /api/projects': ANNOTATION,
  'POST /api/projects': ADMIN,
  'GET /api/projects/:id': ANNOTATION,
  'POST /api/projects/:id/images': ADMIN,
  'GET /api/projects/:id/images': ADMIN,
  'GET /api/projects/:id/queue/next': ANNOTATION,
  'POST /api/projects/:id/annotations': ANNOTATION,
  'POST /api/projects/:id/annotations/undo': ANNOTATION,
  'GET /api/projects/:id/agreement': ADMIN,
  'GET /api/projects/:id/disagreements': ADMIN,
  'POST /api/projects/:id/adjudications': ADMIN,
  'GET /api/projects/:id/manifest.csv': ADMIN,
  'GET /api/models': CLINICAL,
  'GET /api/models/:id/report': CLINICAL,
  'GET /api/models/active/device': CLINICAL,
  'GET /api/models/active/files/:name': CLINICAL,
  'POST /api/models': ADMIN,
  'POST /api/models/:id/activate': ADMIN,
  'GET /api/runs': ADMIN,
  'POST /api/runs': ADMIN,
  'GET /api/runs/:id': ADMIN,
  'GET /api/runs/:id/events': ADMIN,
  'POST /api/runs/:id/cancel': ADMIN,
  'GET /api/jobs': ADMIN,
  'POST /api/jobs/scoring': ADMIN,
  'POST /api/jobs/explaining': ADMIN,
  'GET /api/jobs/:id': ADMIN,
  'GET /api/jobs/:id/events': ADMIN,
  'POST /api/jobs/:id/cancel': ADMIN,
  'GET /api/jobs/:id/scores.csv': ADMIN,
  'GET /api/jobs/:id/explanations': ADMIN,
  'GET /api/jobs/:id/explanations/:explanationId/heatmap.png': ADMIN,
  'GET /api/openapi.json': 'public',
};

const USER_OF_ROLE: Record<Role, TestUser> = { clinician: 'clinician', annotator: 'annotator', admin: 'admin' };

function concreteUrl(url: string): string {
  return url.replace(':sha', 'a'.repeat(64)).replace(':id', '1').replace(':explanationId', '1');
}

describeBackends('access control on every route', (backend) => {
  let server: TestServer;
  const routes: { method: HTTPMethods; url: string; access: Access | undefined }[] = [];

  beforeAll(async () => {
    server = await startTestServer({ backend }, (app) =>
      app.addHook('onRoute', (route) => {
        for (const method of [route.method].flat()) {
          if (method !== 'HEAD' && route.url.startsWith('/api/')) routes.push({ method, url: route.url, access: route.config?.access });
        }
      }),
    );
  });
  afterAll(() => server.close());

  it('has a policy entry for every registered route, and each route declares exactly that policy', () => {
    const registered = routes.map((r) => `${r.method} ${r.url}`).sort();
    expect(registered).toEqual(Object.keys(POLICY).sort());
    for (const route of routes) expect(route.access, `${route.method} ${route.url}`).toEqual(POLICY[`${route.method} ${route.url}`]);
  });

  it('answers 401 without a session, 403 for a forbidden role and lets allowed roles through', async () => {
    for (const { method, url } of routes) {
      const policy = POLICY[`${method} ${url}`];
      const request = { method, url: concreteUrl(url) };
      const name = `${method} ${url}`;
      if (policy === 'public') continue;

      const anonymous = await server.as(null, request);
      expect(anonymous.statusCode, `${name} without a session`).toBe(401);
      expect(anonymous.json(), name).toEqual({ error: expect.any(String) });
      const forged = await server.app.inject({ ...request, headers: { cookie: 'gramlens_session=forged-token' } });
      expect(forged.statusCode, `${name} with a forged session`).toBe(401);

      for (const role of ANY) {
        if (name === 'POST /api/auth/logout') continue;
        const response = await server.as(USER_OF_ROLE[role], request);
        if (policy.includes(role)) {
          expect([401, 403, 500], `${name} as ${role} (allowed) got ${response.statusCode}: ${response.body}`).not.toContain(response.statusCode);
        } else {
          expect(response.statusCode, `${name} as ${role}`).toBe(403);
          expect(response.json().error).toMatch(/Only .* users may do this/);
        }
      }
    }
  });

  it('refuses to start when an /api route declares no roles', async () => {
    const dir = tempDir();
    const app: FastifyInstance = createServer({ dataDir: dir.path });
    app.register(async (api) => api.get('/api/forgotten', async () => 'oops'));
    await expect(app.ready()).rejects.toThrow(/declares no access roles/);
    await app.close().catch(() => undefined);
    dir.remove();
  });
});
