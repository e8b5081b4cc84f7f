// `gramlens serve` in a child process on 127.0.0.1, for the load and fuzz benchmarks.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { readManifest } from '../../src/data/index.ts';
import { initEngine } from '../../src/engine/index.ts';
import { fitClassifier } from '../../src/pipeline/index.ts';
import { CLASS_IDS, generateTile, writeSyntheticDataset } from '../../src/synth/index.ts';

const BIN = join(import.meta.dirname, '../../bin/gramlens.js');
export const ADMIN_PASSWORD = 'bench-admin-password-0123';
export const USER_PASSWORD = 'bench-user-password-0123';

/** The bundle given, the demo's, or a small one trained here on synthetic tiles (64×64, one epoch). */
export async function benchBundle(work: string, given: string | undefined, log: (text: string) => void): Promise<string> {
  if (given) return given;
  if (existsSync('gramlens-demo/run/model/metadata.json')) return 'gramlens-demo/run/model';
  log('no bundle given: training a small one on synthetic tiles');
  await initEngine();
  await writeSyntheticDataset(join(work, 'data'), { tiles: 400, seed: 1 });
  const dataset = await readManifest(join(work, 'data', 'manifest.csv'), { classes: CLASS_IDS });
  return (await fitClassifier(dataset, { size: [64, 64], train: { epochs: 1 }, runDir: join(work, 'run') })).bundleDir;
}

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  /** Set when the process ended while it was expected to run. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  /** Resident memory of the server process now, in MB (from /proc). */
  rssMb(): number;
  /** Stops the server (SIGTERM) and waits for it. */
  stop(): Promise<void>;
}

/** Starts `gramlens serve` on an ephemeral port of 127.0.0.1 with an admin from ADMIN_PASSWORD. */
export async function startServe(dataDir: string, bundle: string, extraArgs: string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', dataDir, '--model', bundle, '--host', '127.0.0.1', '--port', '0', ...extraArgs], {
    env: { ...process.env, GRAMLENS_ADMIN_PASSWORD: ADMIN_PASSWORD },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let text = '';
  const serve: ServeProcess = {
    url: '',
    child,
    exit: null,
    rssMb: () => {
      const match = readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
      return match ? Number(match[1]) / 1024 : 0;
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const ended = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await ended;
    },
  };
  serve.url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${text.slice(-500)}`)), 120_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      text = (text + chunk.toString()).slice(-20_000);
      const match = text.match(/serving on (http:\/\/127\.0\.0\.1:\d+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', (code, signal) => {
      serve.exit = { code, signal };
      reject(new Error(`the server exited with code ${code}: ${text.slice(-500)}`));
    });
  });
  return serve;
}

export async function login(url: string, username: string, password: string): Promise<string> {
  const response = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (response.status !== 200) throw new Error(`login as ${username} failed with ${response.status}: ${await response.text()}`);
  return response.headers.get('set-cookie')!.split(';')[0];
}

/** A JSON API call as the cookie's user; throws on a non-2xx answer. */
export async function api<T = unknown>(url: string, cookie: string, method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json' }) } };
  if (body !== undefined) init.body = body instanceof FormData ? body : JSON.stringify(body);
  if (body instanceof FormData) init.headers = { cookie };
  const response = await fetch(`${url}/api${path}`, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function createUser(url: string, adminCookie: string, username: string, role: 'clinician' | 'annotator' | 'admin'): Promise<{ id: number; cookie: string }> {
  const user = await api<{ id: number }>(url, adminCookie, 'POST', '/users', { username, password: USER_PASSWORD, role });
  return { id: user.id, cookie: await login(url, username, USER_PASSWORD) };
}

/** A synthetic Gram-stain tile as a JPEG: the photo a clinician would send. */
export async function tileJpeg(label: (typeof CLASS_IDS)[number], seed: number, size = 96): Promise<Buffer> {
  const tile = generateTile({ label, seed, size });
  return sharp(tile.rgb, { raw: { width: tile.width, height: tile.height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

/** The value at fraction p of sorted values (nearest rank), or null for none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
