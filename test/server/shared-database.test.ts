import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServer } from '../../src/server/index.ts';
import { tempDir } from '../store/fixtures.ts';
import { ADMIN_PASSWORD, describeBackends, login } from './helpers.ts';

// Sequential requests only: two SQLite connections in one process cannot wait for each other's
// transactions (two processes can), which PostgreSQL's pool does not mind.
describeBackends('two servers on one database', (backend) => {
  let dir: ReturnType<typeof tempDir>;
  let first: FastifyInstance;
  let second: FastifyInstance;

  beforeAll(async () => {
    dir = tempDir();
    const database = await backend.freshDatabase();
    const options = { dataDir: dir.path, database, initialAdmin: { username: 'admin', password: ADMIN_PASSWORD }, limits: { loginMaxFailures: 2 } };
    first = createServer(options);
    await first.ready();
    second = createServer(options);
    await second.ready();
  });
  afterAll(async () => {
    await first.close();
    await second.close();
    dir.remove();
  });

  it('share sessions: either answers a session begun on the other, and a logout on one ends it on both', async () => {
    const cookie = await login(first, 'admin', ADMIN_PASSWORD);
    expect((await second.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } })).statusCode).toBe(200);
    expect((await second.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie } })).statusCode).toBeLessThan(300);
    expect((await first.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } })).statusCode).toBe(401);
  });

  it('share the failed-login limits', async () => {
    const attempt = (app: FastifyInstance) =>
      app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: 'wrong-password-1' }, remoteAddress: '10.9.0.1' });
    expect((await attempt(first)).statusCode).toBe(401);
    expect((await attempt(second)).statusCode).toBe(401);
    expect((await attempt(first)).statusCode).toBe(429);
    expect((await attempt(second)).statusCode).toBe(429);
  });
});
