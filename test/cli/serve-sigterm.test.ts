import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '../../bin/gramlens.js');
const PASSWORD = 'sigterm-test-password';

/** Processes whose command line mentions `text` (the training child names its manifest there). */
function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('gramlens serve and SIGTERM', () => {
  it('stops during a training run: the run is failed "stopped", its process ends, the database is closed cleanly', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gl-sigterm-'));
    const dataDir = join(root, 'data');
    const server = spawn(process.execPath, [BIN, 'serve', '--data-dir', dataDir, '--port', '0', '--train-size', '16', '--backend', 'cpu'], {
      env: { ...process.env, GRAMLENS_ADMIN_PASSWORD: PASSWORD },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    server.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => /serving on http/.test(log), { timeout: 60_000 }).toBe(true);
      const url = log.match(/serving on (http:\/\/[\d.]+:\d+)/)![1];
      const login = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
      const cookie = login.headers.get('set-cookie')!.split(';')[0];
      const api = async (method: string, path: string, body?: object | FormData) => {
        const headers: Record<string, string> = { cookie };
        if (body && !(body instanceof FormData)) headers['content-type'] = 'application/json';
        const response = await fetch(`${url}/api${path}`, { method, headers, body: body instanceof FormData ? body : body && JSON.stringify(body) });
        return response.json();
      };
      const project = await api('POST', '/projects', { name: 'sigterm', classTree: [{ name: 'pale' }, { name: 'dark' }], labelsRequired: 1 });
      for (let i = 0; i < 16; i++) {
        const label = i % 2 === 0 ? 'pale' : 'dark';
        const level = label === 'pale' ? 60 + i : 190 - i;
        const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: level, g: level, b: level } } }).png().toBuffer();
        const form = new FormData();
        form.append('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), `${i}.png`);
        form.append('patientId', `p${i}`);
        const uploaded = await api('POST', `/projects/${project.id}/images`, form);
        await api('POST', `/projects/${project.id}/annotations`, { image: uploaded.image.sha256, label });
      }
      const run = await api('POST', '/runs', { projectId: project.id });
      // the training process has started and reports progress
      await expect.poll(async () => (await api('GET', `/runs/${run.id}`)).progress, { timeout: 60_000 }).not.toBeNull();
      expect(processesMentioning(dataDir).filter((pid) => pid !== server.pid)).not.toEqual([]);

      server.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(log).toContain('SIGTERM: stopping');
      await expect.poll(() => processesMentioning(dataDir), { timeout: 10_000 }).toEqual([]);

      expect(existsSync(join(dataDir, 'gramlens.sqlite-wal'))).toBe(false);
      const db = new Database(join(dataDir, 'gramlens.sqlite'), { readonly: true });
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        expect(db.prepare('SELECT status, error FROM training_runs WHERE id = ?').get(run.id)).toEqual({
          status: 'failed',
          error: 'stopped: the server shut down during training',
        });
      } finally {
        db.close();
      }
    } finally {
      if (server.exitCode === null) server.kill('SIGKILL');
      await rm(root, { recursive: true, force: true });
    }
  });
});
