// Two `gramlens serve` processes on one PostgreSQL database and one data folder behind nginx (and
// one Redis job queue when GRAMLENS_TEST_REDIS_URL is set): predictions through nginx, one server
// killed, the next requests still answered, every answered prediction with its audit row.
// Skips, saying why, without nginx or GRAMLENS_TEST_POSTGRES_URL (.ci/run provides both).
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExecutable, Teardown } from '../../bench/lib/cluster-services.ts';
import { parseAccessLog, startCluster, type Cluster } from '../../bench/lib/scale-cluster.ts';
import { checkWrites, sendWithRetries, type Outcome } from '../../bench/lib/scale-load.ts';
import { ADMIN_PASSWORD, login } from '../../bench/lib/serve-harness.ts';
import { runCli } from '../../src/cli/index.ts';
import { createRng } from '../../src/util/index.ts';

const POSTGRES_URL = process.env.GRAMLENS_TEST_POSTGRES_URL?.trim() || undefined;
const REDIS_URL = process.env.GRAMLENS_TEST_REDIS_URL?.trim() || undefined;
const NGINX = findExecutable('nginx');
const missing = [NGINX ? null : 'nginx is not installed', POSTGRES_URL ? null : 'GRAMLENS_TEST_POSTGRES_URL is not set'].filter(Boolean).join(', ');

/** Noisy grey squares, pale and dark: a model trains on them in seconds. */
async function photo(level: number, seed: number, size = 16): Promise<Buffer> {
  const rng = createRng(seed);
  const pixels = Buffer.from(Array.from({ length: size * size * 3 }, () => Math.max(0, Math.min(255, Math.round(level + 20 * rng.normal())))));
  return sharp(pixels, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer();
}

async function tinyBundle(root: string): Promise<string> {
  for (const [label, level] of [['pale', 70], ['dark', 190]] as const) {
    await mkdir(join(root, 'data', label), { recursive: true });
    for (let i = 0; i < 12; i++) await sharp(await photo(level, 100 * level + i)).toFile(join(root, 'data', label, `p${i % 4}_${i}.png`));
  }
  const quiet = { out: () => {}, err: () => {}, signal: new AbortController().signal };
  const args = ['train', join(root, 'data'), '--out', join(root, 'run'), '--size', '16', '--width', '4', '--epochs', '2', '--batch', '8', '--workers', '1', '--backend', 'cpu'];
  if ((await runCli(args, quiet)) !== 0) throw new Error('the tiny model did not train');
  return join(root, 'run', 'model');
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

if (missing) console.warn(`scale-out test skipped: ${missing}`);

describe.skipIf(Boolean(missing))(`two servers behind nginx on PostgreSQL${missing ? ` [skipped: ${missing}]` : REDIS_URL ? ' with a Redis job queue' : ''}`, () => {
  const teardown = new Teardown();
  const schema = `gramlens_scale_${process.pid}_${randomBytes(4).toString('hex')}`;
  let database: string;
  let cluster: Cluster;
  let cookie: string;
  let image: Buffer;

  beforeAll(async () => {
    const root = await mkdtemp(join(tmpdir(), 'gl-scale-out-'));
    teardown.add('remove the test folder', () => rm(root, { recursive: true, force: true }));
    const bundle = await tinyBundle(root);
    await withClient(POSTGRES_URL!, (client) => client.query(`CREATE SCHEMA ${schema}`));
    teardown.add('drop the schema', () => withClient(POSTGRES_URL!, (client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)).then(() => {}));
    const url = new URL(POSTGRES_URL!);
    url.searchParams.set('options', `-c search_path=${schema}`);
    database = url.toString();
    cluster = await startCluster(teardown, { dataDir: join(root, 'shared'), database, queue: REDIS_URL, bundle, servers: 2, workers: 0, extraArgs: ['--backend', 'cpu'] });
    cookie = await login(cluster.nginx.url, 'admin', ADMIN_PASSWORD);
    // Like the training images once the model has resized it (a uniform frame would be refused as blank).
    image = await sharp(await photo(190, 7)).resize(30, 30, { kernel: 'nearest' }).png().toBuffer();
  }, 90_000);

  afterAll(() => teardown.run(), 30_000);

  const predict = (tag: string): Promise<Outcome> => {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(image)], { type: 'image/png' }), 'photo.png');
    form.append('specimenType', 'sputum');
    form.append('caseId', tag);
    return sendWithRetries(cluster.nginx.url, 'predict', tag, { path: '/api/predict', init: { method: 'POST', headers: { cookie }, body: form } });
  };

  it('answers through nginx from both servers, then from the one left after a kill -9, each answer with its audit row', async () => {
    const before = await Promise.all(Array.from({ length: 6 }, (_, i) => predict(`scale-before-${i}`)));
    expect(before.map((outcome) => outcome.status)).toEqual(Array(6).fill(201));
    const accessLog = () => readFile(join(cluster.nginx.prefix, 'access.log'), 'utf8').then(parseAccessLog);
    const served = new Set((await accessLog()).flatMap((line) => line.upstreams));
    expect([...served].sort()).toEqual(cluster.servers.map((server) => server.address).sort());

    const [kept, killed] = cluster.servers;
    killed.child.kill('SIGKILL');
    await new Promise((resolve) => killed.child.once('exit', resolve));
    const after: Outcome[] = [];
    for (let i = 0; i < 6; i++) after.push(await predict(`scale-after-${i}`));
    // Nothing was in flight on the killed server: nginx passes every request on, no client retries.
    expect(after.map((outcome) => [outcome.status, outcome.attempts.length])).toEqual(Array(6).fill([201, 1]));
    const afterLines = (await accessLog()).filter((line) => line.tag.startsWith('scale-after'));
    expect(afterLines.every((line) => line.upstreams.at(-1) === kept.address)).toBe(true);

    const rows = await withClient(database, async (client) => (await client.query<{ id: string; case_id: string }>("SELECT id, case_id FROM predictions WHERE case_id LIKE 'scale-%'")).rows);
    expect(checkWrites([...before, ...after], rows.map((row) => ({ id: row.id, caseId: row.case_id })))).toEqual({ acknowledged: 12, lost: 0, unacknowledged: 0, duplicated: 0 });
  }, 60_000);
});
