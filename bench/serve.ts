// npm run bench:serve [-- --json] [--bundle DIR] [--connections 50] [--seconds 30]
// Load test of POST /api/predict on loopback only: `gramlens serve` runs in a child process with
// the model bundle, autocannon drives it from here with N concurrent clients for a fixed time
// (bounded in count and time, 127.0.0.1 only). Reports requests, errors and latency percentiles.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import sharp from 'sharp';
import { readManifest } from '../src/data/index.ts';
import { initEngine } from '../src/engine/index.ts';
import { fitClassifier } from '../src/pipeline/index.ts';
import { CLASS_IDS, generateTile, writeSyntheticDataset } from '../src/synth/index.ts';
import { benchArgs, round } from './stats.ts';

const argv = process.argv.slice(2);
const args = benchArgs(argv);
const option = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const connections = Number(option('--connections') ?? 50);
const seconds = Number(option('--seconds') ?? (args.quick ? 5 : 30));
const log = (text: string) => process.stderr.write(`${text}\n`);
const work = await mkdtemp(join(tmpdir(), 'gl-bench-serve-'));

async function bundlePath(): Promise<string> {
  const given = option('--bundle');
  if (given) return given;
  if (existsSync('gramlens-demo/run/model/metadata.json')) return 'gramlens-demo/run/model';
  log('no bundle given: training a small one on synthetic tiles');
  await initEngine();
  await writeSyntheticDataset(join(work, 'data'), { tiles: 400, seed: 1 });
  const dataset = await readManifest(join(work, 'data', 'manifest.csv'), { classes: CLASS_IDS });
  return (await fitClassifier(dataset, { size: [64, 64], train: { epochs: 1 }, runDir: join(work, 'run') })).bundleDir;
}

const bundle = await bundlePath();
const password = 'bench-password-0123';
const server = spawn(join(import.meta.dirname, '../bin/gramlens.js'), ['serve', '--data-dir', join(work, 'server'), '--model', bundle, '--port', '0'], {
  env: { ...process.env, GRAMLENS_ADMIN_PASSWORD: password },
  stdio: ['ignore', 'ignore', 'pipe'],
});
const url = await new Promise<string>((resolve, reject) => {
  let text = '';
  const timer = setTimeout(() => reject(new Error(`the server did not start: ${text.slice(-500)}`)), 120_000);
  server.stderr!.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    const match = text.match(/serving on (http:\/\/127\.0\.0\.1:\d+)/);
    if (match) {
      clearTimeout(timer);
      resolve(match[1]);
    }
  });
  server.on('exit', (code) => reject(new Error(`the server exited with code ${code}: ${text.slice(-500)}`)));
});

try {
  const login = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
  if (login.status !== 200) throw new Error(`login failed with ${login.status}`);
  const cookie = login.headers.get('set-cookie')!.split(';')[0];
  const tile = generateTile({ label: 'gpc_clusters', seed: 4242, size: 96 });
  const photo = join(work, 'tile.jpg');
  await writeFile(photo, await sharp(tile.rgb, { raw: { width: tile.width, height: tile.height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer());

  const latencies: number[] = [];
  log(`load: ${connections} concurrent clients for ${seconds} s on ${url}/api/predict`);
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${url}/api/predict`,
        method: 'POST',
        connections,
        duration: seconds,
        headers: { cookie },
        form: JSON.stringify({ image: { type: 'file', path: photo }, specimenType: { type: 'text', value: 'sputum' } }),
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? null;
  const summary = {
    connections,
    seconds,
    requests: result.requests.total,
    requests_per_second: round(result.requests.average, 1),
    errors: result.errors + result.timeouts + result.non2xx,
    non2xx: result.non2xx,
    p50_ms: round(percentile(50), 1),
    p95_ms: round(percentile(95), 1),
    p99_ms: round(percentile(99), 1),
    bundle,
  };
  console.log(`predict endpoint: ${summary.requests} requests in ${seconds} s (${summary.requests_per_second}/s), ${summary.errors} errors, latency p50 ${summary.p50_ms} ms, p95 ${summary.p95_ms} ms, p99 ${summary.p99_ms} ms`);
  if (args.json) console.log(JSON.stringify(summary));
} finally {
  server.kill('SIGINT');
}
