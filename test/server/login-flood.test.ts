import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServer } from '../../src/server/index.ts';
import { tempDir } from '../store/fixtures.ts';
import { describeBackends, ADMIN_PASSWORD, login, startTestServer, USER_PASSWORD, type TestServer } from './helpers.ts';

// bcrypt must never run on the main thread (it would stall every other request): here it cannot.
vi.mock('bcryptjs', () => {
  const refuse = () => {
    throw new Error('bcrypt called on the main thread');
  };
  return { default: { hash: refuse, hashSync: refuse, compare: refuse, compareSync: refuse, genSalt: refuse } };
});

const attempt = (server: TestServer, username: string, password: string, remoteAddress: string) =>
  server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password }, remoteAddress });

describeBackends('login floods', (backend) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ backend, limits: { loginMaxFailuresPerIp: 8, loginMaxFailuresOverall: 20 } });
  });
  afterAll(() => server.close());

  it('creates users and checks passwords off the main thread', async () => {
    expect(server.cookie.clinician).toMatch(/^gramlens_session=/);
    expect((await server.as('clinician', { method: 'GET', url: '/api/auth/me' })).json().user.username).toBe('clinician');
  });

  it('answers an unknown user, a wrong password and a disabled account (right or wrong password) alike', async () => {
    await server.as('admin', { method: 'PATCH', url: `/api/users/${server.ids.clinician2}`, payload: { disabled: true } });
    const answers = [
      await attempt(server, 'nobody-here', USER_PASSWORD, '10.4.0.1'),
      await attempt(server, 'clinician', 'wrong password', '10.4.0.2'),
      await attempt(server, 'clinician2', USER_PASSWORD, '10.4.0.3'),
      await attempt(server, 'clinician2', 'wrong password', '10.4.0.4'),
    ];
    for (const answer of answers) {
      expect(answer.statusCode).toBe(401);
      expect(answer.json()).toEqual({ error: 'Wrong username or password' });
      expect(answer.headers['set-cookie']).toBeUndefined();
    }
  });

  it('limits failures per IP whatever the usernames, without hashing the excess', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await attempt(server, `random-${i}`, 'guess', '10.2.0.1')).statusCode);
    expect(statuses).toEqual([...Array(8).fill(401), ...Array(4).fill(429)]);
    const rightPassword = await attempt(server, 'clinician', USER_PASSWORD, '10.2.0.1');
    expect(rightPassword.statusCode).toBe(429);
    expect(Number(rightPassword.headers['retry-after'])).toBeGreaterThan(0);
    expect((await attempt(server, 'clinician', USER_PASSWORD, '10.2.0.2')).statusCode).toBe(200);
  });

  it('limits failures overall, across IPs', async () => {
    const statuses: number[] = [];
    // 4 + 8 failures are already counted by the tests before; 8 more reach the overall limit of 20.
    for (let i = 0; i < 10; i++) statuses.push((await attempt(server, `spread-${i}`, 'guess', `10.3.0.${i}`)).statusCode);
    expect(statuses).toEqual([...Array(8).fill(401), 429, 429]);
    expect((await attempt(server, 'annotator', USER_PASSWORD, '10.3.1.1')).statusCode).toBe(429);
  });
});

describe('a full password queue', () => {
  it('answers 503 with Retry-After at once instead of queueing without end', async () => {
    const dir = tempDir();
    const app = createServer({
      dataDir: dir.path,
      initialAdmin: { username: 'admin', password: ADMIN_PASSWORD },
      limits: { passwordThreads: 1, maxQueuedPasswordChecks: 2, loginMaxFailuresPerIp: 1000 },
    });
    try {
      await app.ready();
      await login(app, 'admin', ADMIN_PASSWORD);
      const burst = await Promise.all(
        Array.from({ length: 12 }, (_, i) => app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: `u${i}`, password: 'guess' }, remoteAddress: '10.5.0.1' })),
      );
      const statuses = burst.map((response) => response.statusCode);
      // one check runs, two wait; the other nine are refused without waiting
      expect(statuses.filter((status) => status === 401)).toHaveLength(3);
      const refused = burst.filter((response) => response.statusCode === 503);
      expect(refused).toHaveLength(9);
      for (const response of refused) {
        expect(response.headers['retry-after']).toBe('1');
        expect(response.json().error).toMatch(/busy/);
      }
      expect((await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: ADMIN_PASSWORD } })).statusCode).toBe(200);
    } finally {
      await app.close();
      dir.remove();
    }
  });
});
