// npm run bench:serve [-- --json] [--bundle DIR] [--connections 50] [--seconds 30] [--flooders 20] [--training-images 500] [--quick]
// Load tests of `gramlens serve` on loopback only (127.0.0.1, a child process with the model
// bundle), each bounded in clients and time:
//   1. predict: N clients POST /api/predict;
//   2. mixed: N/2 clinicians predicting and N/2 annotators labelling;
//   3. the same mixed load while F more clients flood POST /api/auth/login with random usernames;
//   4. /api/auth/me, asked one request after another, while a training run of M images launched
//      from the API runs (then cancelled).
// Reports requests, errors and latency percentiles of each; with --json one closing line with
// mixed_p95_ms, login_flood_predict_p95_ms, me_during_training_median_ms and errors (failed
// answers to every phase's clients; the flood's refusals are expected and not counted).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { CLASS_IDS } from '../src/synth/index.ts';
import { ADMIN_PASSWORD, api, benchBundle, createUser, login, percentile, startServe, tileJpeg } from './lib/serve-harness.ts';
import { benchArgs, median, round } from './stats.ts';

const argv = process.argv.slice(2);
const args = benchArgs(argv);
const option = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const connections = Number(option('--connections') ?? 50);
const seconds = Number(option('--seconds') ?? (args.quick ? 5 : 30));
const flooders = Number(option('--flooders') ?? 20);
const trainingImages = Number(option('--training-images') ?? (args.quick ? 60 : 500));
const log = (text: string) => process.stderr.write(`${text}\n`);

interface Load {
  requests: number;
  errors: number;
  latencies: number[];
}

function summary(load: Load) {
  const sorted = [...load.latencies].sort((a, b) => a - b);
  return { requests: load.requests, errors: load.errors, p50_ms: round(percentile(sorted, 50), 1), p95_ms: round(percentile(sorted, 95), 1), p99_ms: round(percentile(sorted, 99), 1) };
}

/** One autocannon load for `seconds`: every answer's latency, non-2xx answers, errors and timeouts. */
function load(options: autocannon.Options, countErrors = true): Promise<Load> {
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon({ duration: seconds, timeout: 30, ...options }, (error, result) => {
      if (error) return reject(error);
      resolve({ requests: result.requests.total, errors: countErrors ? result.errors + result.timeouts + result.non2xx : 0, latencies });
    });
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
}

const work = await mkdtemp(join(tmpdir(), 'gl-bench-serve-'));
const bundle = await benchBundle(work, option('--bundle'), log);
const server = await startServe(join(work, 'server'), bundle);
const { url } = server;
try {
  const admin = await login(url, 'admin', ADMIN_PASSWORD);
  const clinician = await createUser(url, admin, 'bench-clinician', 'clinician');
  const annotator = await createUser(url, admin, 'bench-annotator', 'annotator');
  const photo = join(work, 'tile.jpg');
  await writeFile(photo, await tileJpeg('gpc_clusters', 4242));
  const predictRequest = (cookie: string, clients: number): autocannon.Options => ({
    url: `${url}/api/predict`,
    method: 'POST',
    connections: clients,
    headers: { cookie },
    form: JSON.stringify({ image: { type: 'file', path: photo }, specimenType: { type: 'text', value: 'sputum' } }),
  });

  // A project to label: the annotators go round its images, changing their label each time.
  const classTree = CLASS_IDS.map((name) => ({ name }));
  const labelling = await api<{ id: number }>(url, admin, 'POST', '/projects', { name: 'labelling', classTree, labelsRequired: 1 });
  const shas: string[] = [];
  for (let i = 0; i < 20; i++) {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(await tileJpeg(CLASS_IDS[i % CLASS_IDS.length], 100 + i))], { type: 'image/jpeg' }), `t${i}.jpg`);
    shas.push((await api<{ image: { sha256: string } }>(url, admin, 'POST', `/projects/${labelling.id}/images`, form)).image.sha256);
  }
  const labelRequest = (clients: number): autocannon.Options => ({
    url: `${url}/api/projects/${labelling.id}/annotations`,
    method: 'POST',
    connections: clients,
    headers: { cookie: annotator.cookie, 'content-type': 'application/json' },
    requests: shas.map((image, i) => ({ method: 'POST', path: `/api/projects/${labelling.id}/annotations`, body: JSON.stringify({ image, label: CLASS_IDS[i % CLASS_IDS.length] }) })),
  });
  let flooded = 0;
  const floodRequest: autocannon.Options = {
    url: `${url}/api/auth/login`,
    method: 'POST',
    connections: flooders,
    headers: { 'content-type': 'application/json' },
    requests: [{ method: 'POST', setupRequest: (request) => ({ ...request, body: JSON.stringify({ username: `flood-${flooded++}-${Math.random().toString(36).slice(2)}`, password: 'a-guess-of-sorts' }) }) }],
  };

  log(`1/4 predict: ${connections} clients for ${seconds} s`);
  const predictOnly = await load(predictRequest(clinician.cookie, connections));
  const half = Math.ceil(connections / 2);
  log(`2/4 mixed: ${half} clinicians predicting, ${connections - half} annotators labelling, ${seconds} s`);
  const [mixedPredict, mixedLabel] = await Promise.all([load(predictRequest(clinician.cookie, half)), load(labelRequest(connections - half))]);
  log(`3/4 mixed while ${flooders} clients flood the login with random usernames, ${seconds} s`);
  const [floodPredict, floodLabel, flood] = await Promise.all([load(predictRequest(clinician.cookie, half)), load(labelRequest(connections - half)), load(floodRequest, false)]);

  log(`4/4 /api/auth/me during a training run of ${trainingImages} images`);
  const training = await api<{ id: number }>(url, admin, 'POST', '/projects', { name: 'training', classTree, labelsRequired: 1 });
  for (let i = 0; i < trainingImages; i++) {
    const label = CLASS_IDS[i % CLASS_IDS.length];
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(await tileJpeg(label, 10_000 + i, 64))], { type: 'image/jpeg' }), `t${i}.jpg`);
    form.append('patientId', `patient-${i % 60}`);
    const uploaded = await api<{ image: { sha256: string } }>(url, admin, 'POST', `/projects/${training.id}/images`, form);
    await api(url, annotator.cookie, 'POST', `/projects/${training.id}/annotations`, { image: uploaded.image.sha256, label });
  }
  const run = await api<{ id: number }>(url, admin, 'POST', '/runs', { projectId: training.id });
  const started = Date.now();
  while ((await api<{ progress: unknown }>(url, admin, 'GET', `/runs/${run.id}`)).progress === null) {
    if (Date.now() - started > 120_000) throw new Error('the training run reported no progress within 2 minutes');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const meTimes: number[] = [];
  let meErrors = 0;
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    const t = performance.now();
    const response = await fetch(`${url}/api/auth/me`, { headers: { cookie: clinician.cookie } });
    await response.arrayBuffer();
    meTimes.push(performance.now() - t);
    if (!response.ok) meErrors++;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const runState = await api<{ status: string; progress: unknown }>(url, admin, 'GET', `/runs/${run.id}`);
  if (runState.status === 'running') await api(url, admin, 'POST', `/runs/${run.id}/cancel`);

  const result = {
    connections,
    seconds,
    predict: summary(predictOnly),
    requests_per_second: round(predictOnly.requests / seconds, 1),
    mixed: { predict: summary(mixedPredict), label: summary(mixedLabel) },
    mixed_p95_ms: round(percentile([...mixedPredict.latencies, ...mixedLabel.latencies].sort((a, b) => a - b), 95), 1),
    login_flood: { flooders, logins: flood.requests, predict: summary(floodPredict), label: summary(floodLabel) },
    login_flood_predict_p95_ms: summary(floodPredict).p95_ms,
    me_during_training: { requests: meTimes.length, errors: meErrors, images: trainingImages, run_status_at_end: runState.status, last_progress: runState.progress },
    me_during_training_median_ms: round(median(meTimes), 1),
    errors: predictOnly.errors + mixedPredict.errors + mixedLabel.errors + floodPredict.errors + floodLabel.errors + meErrors,
    bundle,
  };
  const p = result.predict;
  console.log(`predict: ${p.requests} requests in ${seconds} s, ${p.errors} errors, p50 ${p.p50_ms} ms, p95 ${p.p95_ms} ms, p99 ${p.p99_ms} ms`);
  console.log(`mixed (${half} predicting, ${connections - half} labelling): p95 ${result.mixed_p95_ms} ms (predict p95 ${result.mixed.predict.p95_ms} ms, label p95 ${result.mixed.label.p95_ms} ms)`);
  console.log(`mixed + ${flooders} login flooders (${flood.requests} logins): predict p95 ${result.login_flood_predict_p95_ms} ms, label p95 ${result.login_flood.label.p95_ms} ms`);
  console.log(`/api/auth/me during training (${trainingImages} images, run ${runState.status}): median ${result.me_during_training_median_ms} ms over ${meTimes.length} requests`);
  console.log(`errors (every phase's clients but the flood's): ${result.errors}`);
  if (args.json) console.log(JSON.stringify(result));
} finally {
  await server.stop();
  await rm(work, { recursive: true, force: true });
}
