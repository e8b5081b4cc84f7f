import { afterEach, beforeEach, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.ts';
import { describeBackends } from './backends.ts';
import { tempDir } from './fixtures.ts';

describeBackends('users, sessions and login attempts', (backend) => {
  let database: string | undefined;
  let dir: ReturnType<typeof tempDir>;
  let now: number;
  let store: Store;

  beforeEach(async () => {
    dir = tempDir();
    database = await backend.freshDatabase();
    now = Date.UTC(2025, 0, 1);
    store = await openStore({ dataDir: dir.path, database, clock: () => now, loginRateLimit: { maxFailures: 3, windowMs: 60_000 } });
  });
  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  it('hash passwords with bcrypt (cost >= 10) and verify them', async () => {
    const user = await store.users.create({ username: 'ana', password: 'correct horse', role: 'annotator' });
    const { password_hash: hash } = await store.db.get('SELECT password_hash FROM users WHERE id = ?', [user.id]) as { password_hash: string };
    expect(hash).toMatch(/^\$2[aby]\$(1\d|[2-9]\d)\$/);
    expect(hash).not.toContain('correct horse');
    expect(await store.users.verifyPassword('ana', 'correct horse')).toMatchObject({ id: user.id, role: 'annotator' });
    expect(await store.users.verifyPassword('ana', 'wrong horse')).toBeNull();
    expect(await store.users.verifyPassword('nobody', 'correct horse')).toBeNull();
  });

  it('refuse duplicate usernames, bad roles and weak or over-long passwords', async () => {
    await store.users.create({ username: 'ana', password: 'violet crystal one', role: 'clinician' });
    await expect(store.users.create({ username: 'ana', password: 'violet crystal two', role: 'clinician' })).rejects.toMatchObject({ kind: 'conflict' });
    await expect(store.users.create({ username: 'bo', password: 'short', role: 'clinician' })).rejects.toMatchObject({ kind: 'invalid' });
    await expect(store.users.create({ username: 'bo', password: 'Password1234', role: 'clinician' })).rejects.toMatchObject({ kind: 'invalid' });
    await expect(store.users.create({ username: 'bo', password: 'x'.repeat(73), role: 'clinician' })).rejects.toMatchObject({ kind: 'invalid' });
    await expect(store.users.create({ username: 'bo', password: 'violet crystal one', role: 'root' as 'admin' })).rejects.toMatchObject({ kind: 'invalid' });
  });

  it('create the initial admin once when two servers start on one empty database at once', async () => {
    const created = await Promise.all([store.users.ensureInitialAdmin('admin', 'first-password'), store.users.ensureInitialAdmin('admin', 'first-password')]);
    expect(created.filter((user) => user !== null)).toHaveLength(1);
    expect((await store.users.list()).map((user) => user.username)).toEqual(['admin']);
  });

  it('create the initial admin only in an empty database, and never disable the last admin', async () => {
    const admin = await store.users.ensureInitialAdmin('admin', 'first-password');
    expect(admin?.role).toBe('admin');
    expect(await store.users.ensureInitialAdmin('admin2', 'other-password')).toBeNull();
    await expect(store.users.update(admin!.id, { disabled: true })).rejects.toThrow(/only enabled admin/);
    await expect(store.users.update(admin!.id, { role: 'clinician' })).rejects.toThrow(/only enabled admin/);
    const second = await store.users.create({ username: 'admin2', password: 'other-password', role: 'admin' });
    expect((await store.users.update(admin!.id, { disabled: true })).disabled).toBe(true);
    await expect(store.users.update(second.id, { disabled: true })).rejects.toThrow(/only enabled admin/);
  });

  it('store only a hash of the 32-byte session token and expire sessions', async () => {
    const user = await store.users.create({ username: 'cli', password: 'violet crystal three', role: 'clinician' });
    const { token, expiresAt } = await store.sessions.create(user.id, 1000);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(expiresAt).toBe(now + 1000);
    const stored = await store.db.all('SELECT token_hash FROM sessions') as { token_hash: string }[];
    expect(stored).toHaveLength(1);
    expect(stored[0].token_hash).not.toBe(token);

    expect(await store.sessions.lookup(token)).toMatchObject({ status: 'valid', user: { id: user.id, role: 'clinician' } });
    expect(await store.sessions.lookup('not-a-token')).toEqual({ status: 'unknown' });
    now += 1000;
    expect(await store.sessions.lookup(token)).toEqual({ status: 'expired' });
    expect(await store.sessions.lookup(token)).toEqual({ status: 'unknown' });
  });

  it('report sessions of disabled users and revoke all sessions of a user', async () => {
    await store.users.ensureInitialAdmin('admin', 'first-password');
    const user = await store.users.create({ username: 'cli', password: 'violet crystal three', role: 'clinician' });
    const a = await store.sessions.create(user.id, 60_000);
    const b = await store.sessions.create(user.id, 60_000);
    await store.users.update(user.id, { disabled: true });
    expect(await store.sessions.lookup(a.token)).toEqual({ status: 'disabled' });
    await store.sessions.revokeAllOf(user.id);
    expect(await store.sessions.lookup(b.token)).toEqual({ status: 'unknown' });
  });

  it('limit failed logins per username and IP within a sliding window', async () => {
    for (let i = 0; i < 3; i++) {
      expect(await store.loginAttempts.check('ana', '10.0.0.1')).toEqual({ allowed: true });
      await store.loginAttempts.recordFailure('ana', '10.0.0.1');
      now += 1000;
    }
    expect(await store.loginAttempts.check('ana', '10.0.0.1')).toEqual({ allowed: false, retryAfterMs: 57_000 });
    expect(await store.loginAttempts.check('ana', '10.0.0.2')).toEqual({ allowed: true });
    expect(await store.loginAttempts.check('bob', '10.0.0.1')).toEqual({ allowed: true });
    now += 57_000;
    expect(await store.loginAttempts.check('ana', '10.0.0.1')).toEqual({ allowed: true });
    await store.loginAttempts.recordFailure('ana', '10.0.0.1');
    await store.loginAttempts.clear('ana', '10.0.0.1');
    expect(await store.db.get("SELECT count(*) AS n FROM login_attempts WHERE username = 'ana'")).toEqual({ n: 0 });
  });

  it('admit parallel attempts up to the limit only, counting each admitted one as a failure', async () => {
    const permissions = await Promise.all(Array.from({ length: 8 }, () => store.loginAttempts.admit('ana', '10.0.0.9')));
    expect(permissions.filter((p) => p.allowed)).toHaveLength(3);
    expect(await store.db.get("SELECT count(*) AS n FROM login_attempts WHERE username = 'ana'")).toEqual({ n: 3 });
  });
});
