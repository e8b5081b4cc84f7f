import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { ADMIN } from '../../src/server/access.ts';
import { collectApiRoutes } from '../../src/server/openapi.ts';
import { routeOptionsTagged } from '../../src/server/route-options.ts';
import { idParams } from '../../src/server/schemas.ts';

describe('routeOptionsTagged', () => {
  it("gives a plugin's routes their access roles and its OpenAPI tag", async () => {
    const app = Fastify();
    const routes = collectApiRoutes(app);
    const route = routeOptionsTagged('things');
    app.get('/api/things/:id', route(ADMIN, { summary: 'One thing', params: idParams }), async () => ({}));
    app.post('/api/things', route('public', { summary: 'Add a thing', description: 'anyone may' }), async () => ({}));
    await app.ready();
    expect(routes.map(({ method, url, access, schema }) => ({ method, url, access, tags: schema.tags, summary: schema.summary }))).toEqual([
      { method: 'GET', url: '/api/things/:id', access: ADMIN, tags: ['things'], summary: 'One thing' },
      { method: 'POST', url: '/api/things', access: 'public', tags: ['things'], summary: 'Add a thing' },
    ]);
    expect(routes[0].schema.params).toBe(idParams);
    await app.close();
  });
});
