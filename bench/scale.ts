// npm run bench:scale [-- --json] [--clients 200] [--seconds 60] [--servers 3] [--workers 2]
//   [--rounds 5] [--round-seconds 8] [--round-clients 16] [--train-images 90] [--train-size 32]
//   [--job-timeout 600] [--single-threads N] [--model DIR] [--no-kill]
// gramlens scaled out on loopback only, bounded in time: a throwaway PostgreSQL and Redis, one data
// folder, N `gramlens serve` behind nginx, M `gramlens worker`s. Then:
//   1. throughput: predictions/s of ONE server without nginx (on every core, as on one box) against
//      the N behind nginx (each `--threads` cores/N), in interleaved rounds (single, cluster, single,
//      …) with the same clients;
//   2. the mixed load: `--clients` clients (3/4 predicting, 1/4 labelling) for `--seconds`, one
//      training run launched through the API; half-way `kill -9` of one server and of the worker
//      running the training; clients retry what got no answer from a server (see bench/lib/scale-load.ts);
//   3. the checks: every 201 prediction has its audit row in PostgreSQL (lost writes), the rows no
//      client was told of, errors (failed requests and retries not caused by the killed server,
//      from nginx's log), and whether the training run completed on the other worker.
// Every process and temporary folder is removed at the end, on failure and on Ctrl-C.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { startPostgres, startRedis, Teardown } from './lib/cluster-services.ts';
import { childrenOf, isRunning, parseAccessLog, startCluster, startServeChild, type Cluster, type ServeChild } from './lib/scale-cluster.ts';
import { checkWrites, countErrors, predictionsPerSecond, runLoad, type AuditRow, type Outcome } from './lib/scale-load.ts';
import { annotateClient, predictClient, seedCluster, type Seeded } from './lib/scale-seed.ts';
import { api, benchBundle } from './lib/serve-harness.ts';
import { median, round } from './stats.ts';

const USAGE = `npm run bench:scale -- [options]   (loopback only; every process and folder removed at the end)
  --json               a last line of JSON: clients, requests, errors, lost_writes, job_completed, throughput_vs_single, …
  --clients N          clients of the mixed load (default 200; three in four predict, one in four label)
  --seconds N          length of the mixed load (default 60); the kills come half-way
  --servers N          gramlens serve processes behind nginx (default 3, at least 2)
  --workers N          gramlens worker processes (default 2; 0: no Redis, each server trains)
  --rounds N           interleaved throughput rounds, one server then the cluster (default 5)
  --round-seconds N    length of each round (default 8; the first second is not counted)
  --round-clients N    clients of the throughput rounds (default 16)
  --single-threads N   --threads of the one server measured alone (default: every core)
  --train-images N     labelled images of the project trained during the load (default 90)
  --train-size N       input size the workers train at (default 32)
  --job-timeout N      seconds to wait for the training run after the load (default 600)
  --model DIR          the bundle to serve (default: a small one trained first)
  --no-kill            no kill -9 of a server and a worker`;

const argv = process.argv.slice(2);
if (argv.includes('--help')) {
  console.log(USAGE);
  process.exit(0);
}
const unknown = argv.filter((arg) => arg.startsWith('--') && !USAGE.includes(`  ${arg} `));
if (unknown.length > 0) {
  console.error(`bench:scale: unknown option ${unknown.join(', ')} (see --help)`);
  process.exit(2);
}
const option = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const count = (name: string, fallback: number, min = 1) => {
  const value = Number(option(name) ?? fallback);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer of at least ${min}`);
  return value;
};
const settings = {
  clients: count('--clients', 200),
  seconds: count('--seconds', 60),
  servers: count('--servers', 3, 2),
  workers: count('--workers', 2, 0),
  rounds: count('--rounds', 5),
  roundSeconds: count('--round-seconds', 8, 3),
  roundClients: count('--round-clients', 16),
  trainImages: count('--train-images', 90, 45),
  trainSize: count('--train-size', 32, 16),
  jobTimeout: count('--job-timeout', 600),
  /** The single server's --threads; default every core, as `gramlens serve` runs on one box. */
  singleThreads: option('--single-threads') === undefined ? undefined : count('--single-threads', 1),
  kill: !argv.includes('--no-kill'),
};
const json = argv.includes('--json');
const log = (text: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${text}\n`);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Predictions/s of one server alone (`single`, every core) and of the cluster through nginx, interleaved round by round. */
async function throughputRounds(cluster: Cluster, single: ServeChild, seeded: Seeded, outcomes: Outcome[]) {
  const alone: number[] = [];
  const scaled: number[] = [];
  const clients = Array.from({ length: settings.roundClients }, (_, i) => predictClient(seeded, i));
  for (let round = 1; round <= settings.rounds; round++) {
    for (const [name, url, into] of [['single', single.url, alone], ['cluster', cluster.nginx.url, scaled]] as const) {
      const startedAt = performance.now();
      const done = await runLoad(url, clients, settings.roundSeconds, `scale-${name}${round}`);
      outcomes.push(...done);
      into.push(predictionsPerSecond(done, startedAt, settings.roundSeconds, 1));
    }
    log(`round ${round}/${settings.rounds}: one server ${alone.at(-1)!.toFixed(1)}/s, ${settings.servers} behind nginx ${scaled.at(-1)!.toFixed(1)}/s`);
  }
  const ratios = alone.map((value, i) => scaled[i] / value);
  return {
    single_per_second: alone.map((value) => round(value, 1)),
    cluster_per_second: scaled.map((value) => round(value, 1)),
    ratio: round(median(scaled) / median(alone), 3),
    ratio_per_round: ratios.map((value) => round(value, 3)),
    ratio_range: [round(Math.min(...ratios), 3), round(Math.max(...ratios), 3)],
  };
}

interface RunState {
  status: string;
  error: string | null;
  runner: string | null;
}

const runState = (cluster: Cluster, seeded: Seeded, runId: number) => api<RunState>(cluster.nginx.url, seeded.admin, 'GET', `/runs/${runId}`);

interface Chaos {
  runId: number;
  killedServer: string | null;
  killedWorker: string | null;
  /** Training processes of the killed worker still running ORPHAN_WAIT_MS after it (then killed here). */
  orphanTrainingProcesses: number[];
  /** How long the killed worker's training process outlived it. */
  trainingProcessGoneSeconds: number | null;
}

const ORPHAN_WAIT_MS = 20_000;

/** Kills the worker recorded as the run's runner once it trains (waiting at most untilMs); its name, or null. */
async function killTrainingWorker(cluster: Cluster, seeded: Seeded, chaos: Chaos, untilMs: number): Promise<void> {
  while (performance.now() < untilMs) {
    const state = await runState(cluster, seeded, chaos.runId);
    const worker = state.status === 'running' ? cluster.workers.find((candidate) => candidate.name === state.runner && !candidate.ended()) : undefined;
    if (worker) {
      const training = childrenOf(worker.pid);
      worker.child.kill('SIGKILL');
      chaos.killedWorker = worker.name;
      log(`kill -9 ${worker.name} (pid ${worker.pid}), which ran the training (process ${training.join(', ') || 'not seen'})`);
      // The training process stops by itself when its worker is gone (within 10 s, at a step's end).
      const killedAt = performance.now();
      while (training.some(isRunning) && performance.now() - killedAt < ORPHAN_WAIT_MS) await sleep(250);
      chaos.orphanTrainingProcesses = training.filter(isRunning);
      for (const pid of chaos.orphanTrainingProcesses) process.kill(pid, 'SIGKILL');
      chaos.trainingProcessGoneSeconds = chaos.orphanTrainingProcesses.length === 0 ? round((performance.now() - killedAt) / 1000, 1) : null;
      return;
    }
    await sleep(200);
  }
  log(`no worker ran the training during the load (run ${chaos.runId}): none killed`);
}

/** The mixed load with the training run, killing one server and the training worker half-way. */
async function mixedLoad(cluster: Cluster, seeded: Seeded, outcomes: Outcome[]): Promise<Chaos> {
  const run = await api<{ id: number }>(cluster.nginx.url, seeded.admin, 'POST', '/runs', { projectId: seeded.trainingProject });
  log(`training run ${run.id} launched; ${settings.clients} clients for ${settings.seconds} s`);
  const annotators = Math.round(settings.clients / 4);
  const clients = Array.from({ length: settings.clients }, (_, i) => (i < annotators ? annotateClient(seeded, i) : predictClient(seeded, i)));
  const endsAt = performance.now() + settings.seconds * 1000;
  const load = runLoad(cluster.nginx.url, clients, settings.seconds, 'scale-mixed');
  const chaos: Chaos = { runId: run.id, killedServer: null, killedWorker: null, orphanTrainingProcesses: [], trainingProcessGoneSeconds: null };
  if (settings.kill) {
    await sleep((settings.seconds * 1000) / 2);
    const server = cluster.servers.at(-1)!;
    server.child.kill('SIGKILL');
    chaos.killedServer = server.address;
    log(`kill -9 ${server.name} (${server.address})`);
    if (cluster.workers.length > 0) await killTrainingWorker(cluster, seeded, chaos, endsAt);
  }
  outcomes.push(...(await load));
  return chaos;
}

/** Waits (bounded) for the run to end. */
async function awaitRun(cluster: Cluster, seeded: Seeded, runId: number) {
  const started = performance.now();
  for (;;) {
    const state = await runState(cluster, seeded, runId);
    const seconds = round((performance.now() - started) / 1000, 0);
    if (['completed', 'failed', 'cancelled'].includes(state.status)) return { ...state, waited_seconds: seconds };
    if (performance.now() - started > settings.jobTimeout * 1000) return { ...state, status: `${state.status} after ${settings.jobTimeout} s`, waited_seconds: seconds };
    await sleep(1000);
  }
}

async function auditRows(database: string): Promise<AuditRow[]> {
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; case_id: string | null }>("SELECT id, case_id FROM predictions WHERE case_id LIKE 'scale-%'");
    return rows.map((row) => ({ id: row.id, caseId: row.case_id }));
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const teardown = new Teardown(log);
  const stopListening = teardown.onInterrupt();
  const started = performance.now();
  try {
    const work = await mkdtemp(join(tmpdir(), 'gramlens-scale-'));
    teardown.add('remove the work folder', () => rm(work, { recursive: true, force: true }));
    const bundle = resolve(await benchBundle(work, option('--model'), log));
    // Without workers (--workers 0) there is no queue: each server trains in its own local worker.
    const [database, queue] = await Promise.all([startPostgres(teardown), settings.workers > 0 ? startRedis(teardown) : undefined]);
    log(`PostgreSQL ${database}${queue ? `, Redis ${queue}` : ''}`);
    // The servers share the cores: each runs its model on its share of them, as docs/deployment.md advises.
    const threads = Math.max(1, Math.floor(availableParallelism() / settings.servers));
    const options = { dataDir: join(work, 'data'), database, queue, bundle, servers: settings.servers, workers: settings.workers, trainSize: settings.trainSize, threads, log };
    const cluster = await startCluster(teardown, options);
    // The reference: one server as on one box (every core), on the same database, without nginx.
    const single = await startServeChild(teardown, 'single', { ...options, threads: settings.singleThreads }, false);
    const seeded = await seedCluster(cluster.nginx.url, settings.trainImages, log);
    const outcomes: Outcome[] = [];
    for (const server of [single, ...cluster.servers]) await runLoad(server.url, [predictClient(seeded, 0)], 1, `scale-warmup-${server.name}`).then((done) => outcomes.push(...done));
    log(`throughput: ${settings.rounds} rounds of ${settings.roundSeconds} s, ${settings.roundClients} clients, one server then ${settings.servers} behind nginx (--threads ${threads} each)`);
    const throughput = await throughputRounds(cluster, single, seeded, outcomes);
    await single.stop();
    const chaos = await mixedLoad(cluster, seeded, outcomes);
    log(`load over; waiting for training run ${chaos.runId} (at most ${settings.jobTimeout} s)`);
    const run = await awaitRun(cluster, seeded, chaos.runId);
    const writes = checkWrites(outcomes, await auditRows(database));
    const mixed = outcomes.filter((outcome) => outcome.tag.startsWith('scale-mixed'));
    const errors = countErrors(outcomes, parseAccessLog(await readFile(join(cluster.nginx.prefix, 'access.log'), 'utf8')), chaos.killedServer);
    const result = {
      clients: settings.clients,
      requests: outcomes.length,
      errors: errors.errors,
      lost_writes: writes.lost,
      // With a worker to kill, the run must have been taken over: completed by another runner.
      job_completed: run.status === 'completed' && (!settings.kill || settings.workers === 0 || (chaos.killedWorker !== null && run.runner !== chaos.killedWorker)),
      throughput_vs_single: throughput.ratio,
      seconds: settings.seconds,
      mixed_requests: mixed.length,
      mixed_predictions: mixed.filter((outcome) => outcome.kind === 'predict').length,
      mixed_labels: mixed.filter((outcome) => outcome.kind === 'annotate').length,
      failed_requests: errors.failed,
      retried: errors.retried,
      retried_after_killed_server: errors.retriedFromKilled,
      acknowledged_predictions: writes.acknowledged,
      unacknowledged_audit_rows: writes.unacknowledged,
      duplicated_audit_rows: writes.duplicated,
      killed_server: chaos.killedServer,
      killed_worker: chaos.killedWorker,
      orphan_training_processes: chaos.orphanTrainingProcesses.length,
      training_process_gone_seconds: chaos.trainingProcessGoneSeconds,
      run: { id: chaos.runId, ...run },
      throughput,
      servers: settings.servers,
      server_threads: threads,
      single_threads: settings.singleThreads ?? availableParallelism(),
      workers: settings.workers,
      load_average: (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).map(Number),
      total_seconds: round((performance.now() - started) / 1000, 0),
    };
    console.log(`requests ${result.requests} (mixed load: ${result.mixed_predictions} predictions, ${result.mixed_labels} labels from ${settings.clients} clients in ${settings.seconds} s)`);
    console.log(`errors ${result.errors} (failed ${errors.failed}; retried ${errors.retried}, of which ${errors.retriedFromKilled} after the killed server)`);
    console.log(`writes: ${writes.acknowledged} predictions answered 201, ${writes.lost} without their audit row; ${writes.unacknowledged} audit rows no client was told of (${writes.duplicated} of a request answered on retry)`);
    console.log(`training run ${chaos.runId}: ${run.status}${run.error ? ` (${run.error})` : ''} on ${run.runner ?? 'no recorded runner'}, killed: ${chaos.killedWorker ?? 'none'}`);
    console.log(`throughput: ${settings.servers} servers behind nginx / one server = ${throughput.ratio} (per round ${throughput.ratio_per_round.join(', ')})`);
    if (json) console.log(JSON.stringify(result));
  } finally {
    await teardown.run();
    stopListening();
  }
}

await main();
