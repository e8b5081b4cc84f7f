import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, 'fixtures/resume-run.ts');
const root = join(import.meta.dirname, '../..');

function run(runDir: string, mode: 'fresh' | 'resume', slowMs = 0, killAfterCheckpoints = 0): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    // Node itself with tsx's loader, not the tsx CLI: that runs the script in a child process, which a SIGKILL of the CLI would leave running.
    const child = spawn(process.execPath, ['--import', 'tsx', script, runDir, mode, String(slowMs)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let checkpoints = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      checkpoints += chunk.toString().split('\n').filter((line) => line.startsWith('checkpoint')).length;
      // Kill between two checkpoints, in the middle of an epoch, without warning.
      if (killAfterCheckpoints > 0 && checkpoints >= killAfterCheckpoints) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
}

describe('resumable training', () => {
  it('ends with the same metrics and weights after a kill -9 mid-epoch and a resume', async () => {
    const straight = await mkdtemp(join(tmpdir(), 'gl-straight-'));
    const interrupted = await mkdtemp(join(tmpdir(), 'gl-killed-'));
    expect((await run(straight, 'fresh')).code).toBe(0);

    const killed = await run(interrupted, 'fresh', 40, 4);
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(join(interrupted, 'result.json'))).toBe(false);
    const state = JSON.parse(await readFile(join(interrupted, 'checkpoint/checkpoint.json'), 'utf8')).state;
    expect(state.globalStep).toBeGreaterThan(0);

    expect((await run(interrupted, 'resume')).code).toBe(0);
    const a = JSON.parse(await readFile(join(straight, 'result.json'), 'utf8'));
    const b = JSON.parse(await readFile(join(interrupted, 'result.json'), 'utf8'));
    expect(b.history).toEqual(a.history);
    expect(b.checksum).toBe(a.checksum);
    expect(a.history).toHaveLength(3);
  });
});
