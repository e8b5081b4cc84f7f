import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/gramlens.js');

async function serve(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stderr };
}

describe('gramlens serve --database', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'gl-serve-db-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('names an unreachable PostgreSQL server in one line, without a stack trace or the password', async () => {
    const { code, stderr } = await serve(['--data-dir', join(root, 'a'), '--database', 'postgres://gram:secret-pw@127.0.0.1:1/gramlens']);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^gramlens serve: error: cannot use the PostgreSQL database postgres:\/\/gram:\*\*\*@127\.0\.0\.1:1\/gramlens: .*ECONNREFUSED/)]);
  });

  it('refuses a malformed URL, from the option or GRAMLENS_DATABASE_URL, in one line', async () => {
    const badPort = await serve(['--data-dir', join(root, 'b'), '--database', 'postgres://gram@localhost:99999/gramlens']);
    expect(badPort.code).toBe(1);
    expect(badPort.stderr.trim().split('\n')).toEqual(['gramlens serve: error: not a valid PostgreSQL URL: postgres://gram@localhost:99999/gramlens (expected postgres://user:password@host:port/database)']);
    const otherScheme = await serve(['--data-dir', join(root, 'c')], { GRAMLENS_DATABASE_URL: 'mysql://gram@localhost/gramlens' });
    expect(otherScheme.code).toBe(2);
    expect(otherScheme.stderr).toMatch(/^gramlens serve: GRAMLENS_DATABASE_URL: mysql:\/\/gram@localhost\/gramlens is neither a postgres:\/\/ URL nor a SQLite file path\n/);
  });
});
