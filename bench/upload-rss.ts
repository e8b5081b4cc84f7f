// npx tsx bench/upload-rss.ts [--uploads 3000] [--json]
// Does the server's memory level off over thousands of uploads? Each configuration runs in a fresh
// process: the server (createServer, in-process) takes N project uploads of seeded photos from
// 0.3 to 12 megapixels (smooth, photo-like JPEGs), 4 at a time, and RSS is sampled every 250 uploads. Configurations: sharp's
// operation cache on (its default) or off, and glibc's malloc arenas as they are or limited to 2
// (MALLOC_ARENA_MAX=2). Reports RSS after warm-up (the first 500 uploads) and at the end.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createServer } from '../src/server/index.ts';
import { createRng } from '../src/util/index.ts';
import { round } from './stats.ts';

const argv = process.argv.slice(2);
const option = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const uploads = Number(option('--uploads') ?? 3000);
const WARM_UP = 500;
const SAMPLE_EVERY = 250;
const PASSWORD = 'bench-password-upload-rss';

interface RunResult {
  config: string;
  samples: { uploads: number; rss_mb: number }[];
  warm_rss_mb: number;
  final_rss_mb: number;
  peak_rss_mb: number;
  growth: number;
  seconds: number;
}

/** A photo-like JPEG of the given size: smooth blotches (seeded noise, enlarged), which compress like a photo. */
async function photo(seed: number, width: number, height: number): Promise<Buffer> {
  const small = await sharp({
    create: { width: 64, height: 48, channels: 3, background: { r: 120 + (seed % 60), g: 80, b: 150 }, noise: { type: 'gaussian', mean: 110 + (seed % 40), sigma: 40 } },
  })
    .png()
    .toBuffer();
  return sharp(small).resize(width, height, { kernel: 'cubic' }).jpeg({ quality: 90 }).toBuffer();
}

async function child(config: string): Promise<void> {
  if (config.includes('no-cache')) sharp.cache(false);
  const dir = mkdtempSync(join(tmpdir(), 'gl-upload-rss-'));
  const app = createServer({ dataDir: dir, initialAdmin: { username: 'admin', password: PASSWORD } });
  try {
    await app.ready();
    const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'admin', password: PASSWORD } });
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    const project = await app.inject({ method: 'POST', url: '/api/projects', headers: { cookie }, payload: { name: 'rss', classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 1 } });
    const projectId = project.json().id;
    const rng = createRng(7);
    // A pool of distinct photos, re-used with a changing byte so each upload is a new image.
    const sizes = [
      [640, 480],
      [1280, 960],
      [2000, 1500],
      [4000, 3000],
    ];
    const pool = await Promise.all(Array.from({ length: 24 }, (_, i) => photo(i, sizes[i % 4][0], sizes[i % 4][1])));
    const samples: RunResult['samples'] = [];
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const started = performance.now();
    let next = 0;
    const boundary = 'gl-rss-boundary';
    const worker = async () => {
      while (next < uploads) {
        const i = next++;
        const jpeg = Buffer.from(pool[Math.floor(rng.next() * pool.length)]);
        jpeg[jpeg.length - 3] = i & 0x7f; // inside the entropy-coded data: a new image, still decodable
        const body = Buffer.concat([
          Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="p${i}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
          jpeg,
          Buffer.from(`\r\n--${boundary}--\r\n`),
        ]);
        const response = await app.inject({ method: 'POST', url: `/api/projects/${projectId}/images`, headers: { cookie, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: body });
        if (response.statusCode >= 500) throw new Error(`upload ${i}: ${response.statusCode} ${response.body}`);
        if ((i + 1) % SAMPLE_EVERY === 0) samples.push({ uploads: i + 1, rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20) });
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    clearInterval(sampler);
    const warm = samples.find((s) => s.uploads >= WARM_UP)!.rss_mb;
    const final = samples.at(-1)!.rss_mb;
    const result: RunResult = {
      config,
      samples,
      warm_rss_mb: warm,
      final_rss_mb: final,
      peak_rss_mb: Math.round(peak / 2 ** 20),
      growth: round(final / warm - 1, 3)!,
      seconds: round((performance.now() - started) / 1000, 1)!,
    };
    console.log(JSON.stringify(result));
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (argv[0] === '--child') {
  await child(argv[1]);
} else {
  const configs: [string, Record<string, string>][] = [
    ['sharp-cache', {}],
    ['no-cache', {}],
    ['sharp-cache+arena2', { MALLOC_ARENA_MAX: '2' }],
    ['no-cache+arena2', { MALLOC_ARENA_MAX: '2' }],
  ];
  const results: RunResult[] = [];
  for (const [config, env] of configs) {
    process.stderr.write(`${config}: ${uploads} uploads...\n`);
    const run = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--child', config, '--uploads', String(uploads)], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (run.status !== 0) throw new Error(`${config} failed with exit code ${run.status}`);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as RunResult;
    results.push(result);
    console.log(
      `${config.padEnd(20)} RSS after ${WARM_UP}: ${result.warm_rss_mb} MB, after ${uploads}: ${result.final_rss_mb} MB (${(result.growth * 100).toFixed(1)}%), peak ${result.peak_rss_mb} MB, ${result.seconds} s; ` +
        `samples ${result.samples.map((s) => s.rss_mb).join(' ')}`,
    );
  }
  if (argv.includes('--json')) console.log(JSON.stringify(results.map(({ samples: _samples, ...summary }) => summary)));
}
