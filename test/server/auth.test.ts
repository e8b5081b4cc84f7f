import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, startServer } from '../../src/server/index.ts';
import { tempDir } from '../store/fixtures.ts';
import { describeBackends, ADMIN_PASSWORD, login, sessionCookieOf, startTestServer, USER_PASSWORD, type TestServer } from './helpers.ts';

describeBackends('authentication', (backend) => {
  let now = Date.UTC(2025, 2, 1);
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ backend, clock: () => now, limits: { sessionTtlMs: 60 * 60 * 1000 } });
  });
  afterAll(() => server.close());

  it('sets an HttpOnly, SameSite=Strict session cookie on Path=/ and reports the user', async () => {
    const response = await server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'clinician', password: USER_PASSWORD } });
    expect(response.statusCode).toBe(200);
    const header = String(response.headers['set-cookie']);
    expect(header).toMatch(/^gramlens_session=[A-Za-z0-9_-]{43};/);
    expect(header).toContain('HttpOnly');
    expect(header).toContain('SameSite=Strict');
    expect(header).toContain('Path=/');
    expect(header).not.toContain('Secure');
    expect(response.json()).toEqual({ user: { id: server.ids.clinician, username: 'clinician', role: 'clinician' }, expiresAt: new Date(now + 3600_000).toISOString() });

    const me = await server.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: sessionCookieOf(response) } });
    expect(me.json().user).toEqual({ id: server.ids.clinician, username: 'clinician', role: 'clinician' });
  });

  it('rate-limits failed logins per username and IP with 429 and Retry-After, even for the right password', async () => {
    const attempt = (password: string, remoteAddress = '10.1.1.1') =>
      server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'annotator2', password }, remoteAddress });
    for (let i = 0; i < 5; i++) {
      const response = await attempt('wrong password');
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({ error: 'Wrong username or password' });
    }
    const blocked = await attempt(USER_PASSWORD);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers['retry-after']).toBe('60');
    expect(blocked.json().error).toMatch(/Too many failed logins/);
    // another client IP is not blocked by this one's failures
    expect((await attempt(USER_PASSWORD, '10.1.1.2')).statusCode).toBe(200);
    now += 61_000;
    expect((await attempt(USER_PASSWORD)).statusCode).toBe(200);
  });

  it('counts parallel guesses before checking them, so a burst cannot exceed the limit', async () => {
    const burst = await Promise.all(
      Array.from({ length: 12 }, () =>
        server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'nobody', password: 'guess' }, remoteAddress: '10.9.9.9' }),
      ),
    );
    const statuses = burst.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
  });

  it('answers 401 with a clear message when the session has expired', async () => {
    const cookie = await login(server.app, 'annotator', USER_PASSWORD);
    expect((await server.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } })).statusCode).toBe(200);
    now += 3600_000;
    const expired = await server.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } });
    expect(expired.statusCode).toBe(401);
    expect(expired.json()).toEqual({ error: 'Your session has expired; please log in again' });
    expect(String(expired.headers['set-cookie'])).toMatch(/gramlens_session=;/);
  });

  it('ends the session on logout', async () => {
    const cookie = await login(server.app, 'clinician2', USER_PASSWORD);
    const logout = await server.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie } });
    expect(logout.statusCode).toBe(204);
    const after = await server.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } });
    expect(after.statusCode).toBe(401);
  });

  it('lets an admin create and disable users; disabling ends their sessions', async () => {
    const admin = await login(server.app, 'admin', ADMIN_PASSWORD);
    const created = await server.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: { cookie: admin },
      payload: { username: 'temp', password: 'temp-password', role: 'clinician' },
    });
    expect(created.statusCode).toBe(201);
    const duplicate = await server.app.inject({ method: 'POST', url: '/api/users', headers: { cookie: admin }, payload: { username: 'temp', password: 'temp-password', role: 'clinician' } });
    expect(duplicate.statusCode).toBe(409);
    const badRole = await server.app.inject({ method: 'POST', url: '/api/users', headers: { cookie: admin }, payload: { username: 'x', password: 'temp-password', role: 'root' } });
    expect(badRole.statusCode).toBe(400);

    const userCookie = await login(server.app, 'temp', 'temp-password');
    const disabled = await server.app.inject({ method: 'PATCH', url: `/api/users/${created.json().id}`, headers: { cookie: admin }, payload: { disabled: true } });
    expect(disabled.json().disabled).toBe(true);
    expect((await server.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie: userCookie } })).statusCode).toBe(401);
    const refused = await server.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'temp', password: 'temp-password' } });
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toEqual({ error: 'Wrong username or password' });

    const lastAdmin = await server.app.inject({ method: 'PATCH', url: '/api/users/1', headers: { cookie: admin }, payload: { role: 'clinician' } });
    expect(lastAdmin.statusCode).toBe(409);
  });

  it('refuses short and common passwords for new users and new passwords', async () => {
    const headers = { cookie: await login(server.app, 'admin', ADMIN_PASSWORD) };
    for (const password of ['password', '12345678', 'password1234', 'Qwertyuiop123']) {
      const created = await server.app.inject({ method: 'POST', url: '/api/users', headers, payload: { username: 'weak', password, role: 'clinician' } });
      expect(created.statusCode, password).toBe(400);
      const changed = await server.app.inject({ method: 'PATCH', url: `/api/users/${server.ids.annotator}`, headers, payload: { password } });
      expect(changed.statusCode, password).toBe(400);
    }
    const users = (await server.app.inject({ method: 'GET', url: '/api/users', headers })).json();
    expect(users.map((u: { username: string }) => u.username)).not.toContain('weak');
  });

  it('refuses usernames that differ from an existing one only in case, spaces, invisible characters or look-alike letters', async () => {
    const headers = { cookie: await login(server.app, 'admin', ADMIN_PASSWORD) };
    const create = (username: string) => server.app.inject({ method: 'POST', url: '/api/users', headers, payload: { username, password: 'a fine new password', role: 'clinician' } });
    for (const username of ['Admin', 'admin ', 'admin\u200b', '\u0430dmin', 'ADMlN', 'ａｄｍｉｎ', 'x\ny']) {
      const response = await create(username);
      expect(response.statusCode, JSON.stringify(username)).toBe(username === 'x\ny' || username === 'admin\u200b' ? 400 : 409);
    }
    expect((await create('\u0430dmin')).json().error).toBe('the username "\u0430dmin" looks like the existing "admin"; choose another');
    expect((await create('Admin')).json().error).toBe('the username "Admin" is taken (usernames do not depend on case)');
    const created = await create(' Dr.Ｎew ');
    expect(created.statusCode).toBe(201);
    expect(created.json().username).toBe('Dr.New');
    // logging in takes the name as it was normalised, whatever its case
    expect(await login(server.app, 'dr.new ', 'a fine new password')).toMatch(/^gramlens_session=/);
  });

  it('answers malformed bodies with a 400 JSON error, never a stack trace', async () => {
    const response = await server.app.inject({ method: 'POST', url: '/api/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"username": ' });
    expect(response.statusCode).toBe(400);
    expect(Object.keys(response.json())).toEqual(['error']);
    expect(response.body).not.toMatch(/at .*\.(js|ts):\d+/);
  });
});

describe('server start', () => {
  it('marks cookies Secure and sends HSTS behind https', async () => {
    const dir = tempDir();
    const app = createServer({ dataDir: dir.path, behindHttps: true, initialAdmin: { username: 'admin', password: ADMIN_PASSWORD } });
    const response = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: ADMIN_PASSWORD } });
    expect(String(response.headers['set-cookie'])).toContain('Secure');
    expect(response.headers['strict-transport-security']).toBe('max-age=31536000');
    await app.close();
    dir.remove();
  });

  it('creates the first admin from GRAMLENS_ADMIN_PASSWORD and listens on 127.0.0.1', async () => {
    const dir = tempDir();
    process.env.GRAMLENS_ADMIN_PASSWORD = 'from-the-environment';
    try {
      const app = await startServer({ dataDir: dir.path, port: 0, logger: false });
      const address = app.server.address() as AddressInfo;
      expect(address.address).toBe('127.0.0.1');
      const response = await fetch(`http://127.0.0.1:${address.port}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: 'from-the-environment' }),
      });
      expect(response.status).toBe(200);
      await app.close();
    } finally {
      delete process.env.GRAMLENS_ADMIN_PASSWORD;
      dir.remove();
    }
  });
});
