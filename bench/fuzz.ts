// npm run bench:fuzz [-- --json] [--requests 10000] [--max-seconds 900] [--concurrency 8] [--seed 1] [--bundle DIR]
// Hostile requests against `gramlens serve` on loopback only (127.0.0.1, a child process with the
// model bundle): truncated, corrupted and bomb images, polyglots, malformed multipart, wrong types in
// every JSON field, overflowing numbers and odd paths over every upload and JSON route (see
// bench/lib/hostile-requests.ts). Bounded: it stops after --requests or --max-seconds, whichever
// comes first, or when the server dies. Counts the answers by status (the bar: no 500 at all),
// samples the server's RSS (peak, after the first 1,000 requests, and at the end) and reports
// {"requests", "status_500", "crashes", "peak_rss_mb", "rss_growth"} with --json.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createRng } from '../src/util/index.ts';
import { hostileRequest, type FuzzTargets, type FuzzUser, type HostileRequest } from './lib/hostile-requests.ts';
import { ADMIN_PASSWORD, api, benchBundle, createUser, login, startServe, tileJpeg } from './lib/serve-harness.ts';
import { benchArgs, round } from './stats.ts';

const argv = process.argv.slice(2);
const args = benchArgs(argv);
const option = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const maxRequests = Number(option('--requests') ?? (args.quick ? 1000 : 10_000));
const maxSeconds = Number(option('--max-seconds') ?? 900);
const concurrency = Number(option('--concurrency') ?? 8);
const seed = Number(option('--seed') ?? 1);
const WARM_UP_REQUESTS = Math.min(1000, Math.floor(maxRequests / 10));
const log = (text: string) => process.stderr.write(`${text}\n`);

const work = await mkdtemp(join(tmpdir(), 'gl-bench-fuzz-'));
const bundle = await benchBundle(work, option('--bundle'), log);
const server = await startServe(join(work, 'server'), bundle);
const { url } = server;
let exitedEarly = false;
server.child.on('exit', () => (exitedEarly = true));
try {
  const admin = await login(url, 'admin', ADMIN_PASSWORD);
  const clinician = await createUser(url, admin, 'fuzz-clinician', 'clinician');
  const annotator = await createUser(url, admin, 'fuzz-annotator', 'annotator');
  const victim = await createUser(url, admin, 'fuzz-victim', 'clinician');
  const cookies: Record<Exclude<FuzzUser, null>, string> = { admin, clinician: clinician.cookie, annotator: annotator.cookie };

  const jpeg = await tileJpeg('gnr', 7);
  const png = await sharp(jpeg).png().toBuffer();
  const largeJpeg = await sharp({ create: { width: 7744, height: 5164, channels: 3, background: { r: 180, g: 120, b: 200 } } })
    .jpeg({ quality: 80 })
    .toBuffer();
  // Labels needing three annotators and fuzz labels that are never a class: nothing is ever decided, so no training starts.
  const project = await api<{ id: number }>(url, admin, 'POST', '/projects', { name: 'fuzz', classTree: [{ name: 'cocci' }, { name: 'rods' }], labelsRequired: 3 });
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'seed.png');
  const image = await api<{ image: { sha256: string } }>(url, admin, 'POST', `/projects/${project.id}/images`, form);
  const predictForm = new FormData();
  predictForm.append('image', new Blob([new Uint8Array(jpeg)], { type: 'image/jpeg' }), 'seed.jpg');
  predictForm.append('specimenType', 'sputum');
  const prediction = await api<{ id: number; modelId: number }>(url, clinician.cookie, 'POST', '/predict', predictForm);
  const models = await api<{ id: number }[]>(url, admin, 'GET', '/models');
  const targets: FuzzTargets = {
    projectId: project.id,
    imageSha: image.image.sha256,
    predictionId: String(prediction.id),
    modelId: models[0].id,
    victimUserId: victim.id,
    runId: 1,
    jpeg,
    png,
    largeJpeg,
  };

  const rng = createRng(seed);
  const statuses = new Map<number, number>();
  const failures: { kind: string; status: number; path: string; answer: string }[] = [];
  let sent = 0;
  let networkErrors = 0;
  let peakRss = server.rssMb();
  let warmRss: number | null = null;
  const sampler = setInterval(() => {
    if (!exitedEarly) peakRss = Math.max(peakRss, server.rssMb());
  }, 200);
  const deadline = Date.now() + maxSeconds * 1000;
  const send = async (request: HostileRequest): Promise<void> => {
    const headers: Record<string, string> = { ...request.headers, ...(request.user ? { cookie: cookies[request.user] } : {}) };
    try {
      const response = await fetch(`${url}${request.path}`, { method: request.method, headers, body: typeof request.body === 'string' || request.body === undefined ? request.body : new Uint8Array(request.body), signal: AbortSignal.timeout(120_000) });
      const answer = await response.text();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status >= 500 && response.status !== 503) failures.push({ kind: request.kind, status: response.status, path: request.path.slice(0, 80), answer: answer.slice(0, 120) });
    } catch {
      // A connection reset while sending an over-limit body is the server refusing it early.
      networkErrors++;
    }
  };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < maxRequests && Date.now() < deadline && !exitedEarly) {
        const index = ++sent;
        await send(hostileRequest(rng, targets));
        if (index === WARM_UP_REQUESTS) warmRss = server.rssMb();
        if (index % 1000 === 0) log(`${index} requests, ${round((performance.now() - started) / 1000, 0)} s, RSS ${Math.round(server.rssMb())} MB`);
      }
    }),
  );
  clearInterval(sampler);
  // Settle: let in-flight work and timers finish before the final reading.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const finalRss = exitedEarly ? null : server.rssMb();
  const result = {
    requests: sent,
    status_500: statuses.get(500) ?? 0,
    crashes: exitedEarly ? 1 : 0,
    peak_rss_mb: Math.round(peakRss),
    rss_growth: finalRss !== null && warmRss !== null ? round(finalRss / warmRss - 1, 3) : null,
    warm_rss_mb: warmRss === null ? null : Math.round(warmRss),
    final_rss_mb: finalRss === null ? null : Math.round(finalRss),
    seconds: round((performance.now() - started) / 1000, 1),
    statuses: Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])),
    network_errors: networkErrors,
    other_5xx: failures.filter((f) => f.status !== 500).length,
    seed,
  };
  for (const failure of failures.slice(0, 20)) log(`  ${failure.status} ${failure.kind} ${failure.path}: ${failure.answer}`);
  console.log(
    `${result.requests} hostile requests in ${result.seconds} s: ${result.status_500} × 500, ${result.crashes} crashes; RSS peak ${result.peak_rss_mb} MB, ` +
      `${result.warm_rss_mb} MB after ${WARM_UP_REQUESTS} requests, ${result.final_rss_mb} MB at the end (growth ${result.rss_growth === null ? '—' : `${(result.rss_growth * 100).toFixed(1)}%`}); statuses ${JSON.stringify(result.statuses)}`,
  );
  if (args.json) console.log(JSON.stringify(result));
} finally {
  await server.stop();
  await rm(work, { recursive: true, force: true });
}
