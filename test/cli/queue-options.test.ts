import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/gramlens.js');

async function gramlens(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, GRAMLENS_QUEUE_URL: '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stderr };
}

describe('gramlens serve --queue and gramlens worker', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'gl-queue-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('name an unreachable Redis in one line, without a stack trace or the password', async () => {
    const worker = await gramlens(['worker', '--data-dir', join(root, 'a'), '--queue', 'redis://:secret-pw@127.0.0.1:1/0']);
    expect(worker.code).toBe(1);
    expect(worker.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^gramlens worker: error: cannot use the Redis queue redis:\/\/:\*\*\*@127\.0\.0\.1:1\/0: .*ECONNREFUSED/)]);
    const serve = await gramlens(['serve', '--port', '0', '--data-dir', join(root, 'b')], { GRAMLENS_QUEUE_URL: 'redis://127.0.0.1:1' });
    expect(serve.code).toBe(1);
    expect(serve.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^gramlens serve: error: cannot use the Redis queue redis:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/)]);
  });

  it('refuse a URL that is not Redis, a worker without a queue and --worker without one', async () => {
    const http = await gramlens(['worker', '--queue', 'http://127.0.0.1:6379']);
    expect(http.code).toBe(2);
    expect(http.stderr).toMatch(/^gramlens worker: --queue: http:\/\/127\.0\.0\.1:6379 is not a Redis URL \(redis:\/\/host:port, rediss:\/\/host:port or unix:\/\/\/path\/to\/redis\.sock\)\n/);
    const fromEnv = await gramlens(['serve', '--port', '0', '--data-dir', join(root, 'c')], { GRAMLENS_QUEUE_URL: 'localhost:6379' });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toMatch(/^gramlens serve: GRAMLENS_QUEUE_URL: localhost:6379 is not a Redis URL/);
    const badDb = await gramlens(['worker', '--queue', 'redis://127.0.0.1:1/x']);
    expect(badDb.code).toBe(2);
    expect(badDb.stderr).toMatch(/^gramlens worker: --queue: the Redis URL redis:\/\/127\.0\.0\.1:1\/x names database "x", not a number\n/);
    const none = await gramlens(['worker', '--data-dir', join(root, 'd')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^gramlens worker: give the Redis queue: --queue redis:\/\/host:port \(or \$GRAMLENS_QUEUE_URL\)\n/);
    const workerFlag = await gramlens(['serve', '--worker', '--port', '0', '--data-dir', join(root, 'e')]);
    expect(workerFlag.code).toBe(2);
    expect(workerFlag.stderr).toMatch(/^gramlens serve: --worker takes jobs from a Redis queue/);
  });
});
