import bcrypt from 'bcryptjs';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, PasswordHashPool, type PasswordHasher } from '../../src/store/index.ts';
import { tempDir } from './fixtures.ts';

describe('the password hashing pool', () => {
  let pool: PasswordHashPool | null = null;
  afterEach(() => pool?.close());

  it('hashes and compares with bcrypt on a worker thread', async () => {
    pool = new PasswordHashPool();
    const hash = await pool.hash('correct horse battery', 10);
    expect(hash).toMatch(/^\$2[aby]\$10\$/);
    expect(bcrypt.compareSync('correct horse battery', hash)).toBe(true);
    expect(await pool.compare('correct horse battery', hash)).toBe(true);
    expect(await pool.compare('wrong horse battery', hash)).toBe(false);
  });

  it('refuses jobs beyond its queue at once as busy, and runs the rest', async () => {
    pool = new PasswordHashPool({ threads: 1, maxQueued: 2 });
    const hash = bcrypt.hashSync('secret password', 10);
    const jobs = Array.from({ length: 6 }, () => pool!.compare('secret password', hash).then(
      (matches) => ({ matches }),
      (error: { kind?: string }) => ({ refused: error.kind }),
    ));
    expect(await Promise.all(jobs)).toEqual([{ matches: true }, { matches: true }, { matches: true }, { refused: 'busy' }, { refused: 'busy' }, { refused: 'busy' }]);
    expect(await pool.compare('secret password', hash)).toBe(true);
  });

  it('refuses work once closed', async () => {
    pool = new PasswordHashPool();
    pool.close();
    await expect(pool.hash('x', 10)).rejects.toThrow(/closed/);
  });
});

describe('users', () => {
  it('check an unknown username with one bcrypt comparison, like a known one', async () => {
    const calls: string[] = [];
    const counting: PasswordHasher = {
      hash: async (password, cost) => (calls.push('hash'), bcrypt.hashSync(password, cost)),
      compare: async (password, hash) => (calls.push('compare'), bcrypt.compareSync(password, hash)),
      close: () => undefined,
    };
    const dir = tempDir();
    const store = await openStore({ dataDir: dir.path, passwordHasher: counting });
    try {
      await store.users.create({ username: 'ana', password: 'correct horse battery', role: 'clinician' });
      await store.users.verifyPassword('nobody', 'guess-guess-guess'); // the first miss also makes the decoy hash
      calls.length = 0;
      expect(await store.users.verifyPassword('ana', 'wrong horse battery')).toBeNull();
      expect(await store.users.verifyPassword('nobody', 'guess-guess-guess')).toBeNull();
      expect(calls).toEqual(['compare', 'compare']);
    } finally {
      await store.close();
      dir.remove();
    }
  });
});
