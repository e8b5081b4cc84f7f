import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/gramlens.js');

describe('gramlens serve --threads', () => {
  it('refuses a thread count that is not a positive integer in one line, before opening anything', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gl-serve-threads-'));
    try {
      for (const given of ['0', '1.5']) {
        const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', join(root, 'data'), '--port', '0', '--threads', given], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
        expect(code).toBe(2);
        expect(stderr.trim().split('\n')[0]).toBe(`gramlens serve: --threads must be an integer ≥ 1; got "${given}"`);
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
