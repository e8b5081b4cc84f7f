import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendChoice } from '../../engine/index.ts';
import { BundlePredictor } from '../../inference/index.ts';
import { modelVersionOf, readBundleMetadata } from '../../models/index.ts';
import { createProjectTrainerProcess } from '../../pipeline/index.ts';
import { normaliseOrigin, startServer } from '../../server/index.ts';
import { bundleJobModels, checkRedis } from '../../jobs/index.ts';
import { openStore } from '../../store/index.ts';
import { redactedUrl } from '../../util/index.ts';
import { UsageError, numberOption, stringOption, type Command, type OptionValues } from '../command.ts';
import { BACKEND_HELP, BACKEND_OPTION, flagOptions, parseSize, valueOptions } from '../options.ts';
import { databaseOf, databaseText, queueHelp, queueOf, queueTimingsOf, STALL_HELP } from '../locations.ts';
import { startEngine } from '../shared.ts';

const BUILT_WEB_APP = join(dirname(fileURLToPath(import.meta.url)), '../../web/dist');

/** Folders that name a step of a run, not the run: `gramlens demo` writes OUT/run/model, `train` RUN/model. */
const GENERIC_FOLDERS = new Set(['model', 'run', 'bundle']);

/** A name people can read for a bundle folder: the nearest folder above it that is not a generic step, e.g. gramlens-demo for gramlens-demo/run/model. */
export function readableBundleName(path: string): string {
  let dir = resolve(path);
  while (GENERIC_FOLDERS.has(basename(dir)) && dirname(dir) !== dir) dir = dirname(dir);
  return basename(dir) || basename(resolve(path));
}

interface StoreLocation {
  dataDir: string;
  database?: string;
}

/** Registers a bundle (once per path) and makes it the active model. */
async function activateBundle(location: StoreLocation, bundleDir: string): Promise<void> {
  const metadata = await readBundleMetadata(bundleDir);
  const store = await openStore(location);
  try {
    const path = resolve(bundleDir);
    const known = (await store.models.list()).find((model) => model.path === path);
    const model = known ?? (await store.models.register({ path, name: readableBundleName(path), version: metadata.createdAt, metrics: metadata.metrics ?? null }));
    await store.models.activate(model.id);
  } finally {
    await store.close();
  }
}

async function activeBundle(location: StoreLocation): Promise<string | null> {
  const store = await openStore(location);
  try {
    return (await store.models.active())?.path ?? null;
  } finally {
    await store.close();
  }
}

function allowedOriginsOf(values: OptionValues): string[] {
  const given = values['allowed-origin'];
  return (Array.isArray(given) ? given : []).map((text) => {
    try {
      return normaliseOrigin(String(text));
    } catch (error) {
      throw new UsageError(`--allowed-origin: ${(error as Error).message}`);
    }
  });
}

export const serveCommand: Command = {
  name: 'serve',
  help: `Usage: gramlens serve [options]

Starts the HTTP API (documented at /api/openapi.json) and the web app: the clinician's phone view
(photo -> prediction, heatmap, "uncertain: refer"), the annotation workspace and the admin pages.
Every prediction is kept in an append-only audit trail in the database.
The first admin is created from GRAMLENS_ADMIN_PASSWORD (user GRAMLENS_ADMIN_USERNAME, default
"admin") when the database has no user yet.

Options:
  --data-dir DIR      images, heatmaps, training runs and the SQLite database (default gramlens-data)
  --database URL      postgres://user:password@host:port/database to keep the database (users,
                      sessions, login limits, projects, labels, models, audit trail) in PostgreSQL,
                      or the path of a SQLite file (default: $GRAMLENS_DATABASE_URL, else
                      gramlens.sqlite in the data folder); migrated at start. A URL with a
                      password is better given in $GRAMLENS_DATABASE_URL (the command line is
                      visible to other local users)
${queueHelp('default: $GRAMLENS_QUEUE_URL, else none: this\n                      process runs them, one at a time')}
  --worker            with --queue: this server also takes jobs (training, scoring, re-explanation)
                      from the queue, as a worker does (without --queue it runs them itself)
${STALL_HELP}
  --model BUNDLE      register this model bundle and make it the active model (on PostgreSQL,
                      every server sharing the database is told and serves it too)
  --host HOST         (default 127.0.0.1)     --port N   (default 8080, or $PORT)
  --static DIR        the built web app (default: the one built in src/web/dist)
  --train-size N      input size of models trained from the web app (default 64)
  --threads N         threads of the model's ONNX session (default: every core); several servers
                      on one machine each take their share, e.g. --threads 1 for 3 on 2 cores
  --https             the server is reached over https (Secure cookies, HSTS)
  --allowed-origin URL  another origin whose pages may change data (repeatable), e.g. the public
                      address of a reverse proxy that rewrites Host: https://gramlens.example.org.
                      State-changing requests from any other site are refused (403)
${BACKEND_HELP}`,
  options: {
    ...valueOptions('data-dir', 'database', 'queue', 'stall-seconds', 'model', 'host', 'port', 'static', 'train-size', 'threads'),
    'allowed-origin': { type: 'string', multiple: true },
    ...flagOptions('https', 'worker'),
    ...BACKEND_OPTION,
  },
  async run(values, _positionals, context) {
    const dataDir = stringOption(values, 'data-dir') ?? 'gramlens-data';
    const database = databaseOf(values);
    const queueUrl = queueOf(values);
    if (values.worker && !queueUrl) throw new UsageError('--worker takes jobs from a Redis queue: give --queue (or $GRAMLENS_QUEUE_URL); without one this server runs the jobs itself');
    if (queueUrl) await checkRedis(queueUrl);
    const port = numberOption(values, 'port', { integer: true, min: 0 }) ?? Number(process.env.PORT ?? 8080);
    const staticDir = stringOption(values, 'static') ?? (existsSync(BUILT_WEB_APP) ? BUILT_WEB_APP : undefined);
    const trainSize = parseSize({ size: stringOption(values, 'train-size') }, 64);
    const model = stringOption(values, 'model');
    const threads = numberOption(values, 'threads', { integer: true, min: 1 });
    const allowedOrigins = allowedOriginsOf(values);
    if (model && !existsSync(model)) throw new UsageError(`model bundle not found: ${model}`);
    // The database is opened (and migrated) before the engine starts: one that is unreachable or
    // malformed stops the command in one line, before anything else is printed.
    const activeBefore = await activeBundle({ dataDir, database });
    const engine = await startEngine(values, context);
    // --model is loaded before it is committed (and announced to every server): a bundle that will not
    // load stops this command and changes nothing. The active model otherwise is loaded by the server,
    // which answers 503 while it cannot.
    const predictor = await BundlePredictor.load(model ? resolve(model) : null, (notice) => context.err(`note: ${notice}`), { threads });
    if (model) {
      await activateBundle({ dataDir, database }, model).catch(async (error: unknown) => {
        await predictor.dispose();
        throw error;
      });
    }
    const bundle = model ? resolve(model) : activeBefore;
    const app = await startServer({
      dataDir,
      database,
      staticDir,
      predictor,
      trainer: createProjectTrainerProcess({ runsDir: join(dataDir, 'runs'), size: trainSize, backend: engine.backend as BackendChoice }),
      jobModels: bundleJobModels({ threads }),
      queue: queueUrl === undefined ? undefined : { url: queueUrl, runJobs: Boolean(values.worker), timings: queueTimingsOf(values) },
      host: stringOption(values, 'host'),
      port,
      behindHttps: Boolean(values.https),
      allowedOrigins,
      bundleVersionOf: async (path) => modelVersionOf(await readBundleMetadata(path)),
    });
    const address = app.server.address();
    const where = typeof address === 'object' && address ? `http://${address.address}:${address.port}` : String(address);
    const databaseLine = database === undefined ? '' : `, database ${databaseText(database, dataDir)}`;
    const queueText = queueUrl === undefined ? '' : `; job queue ${redactedUrl(queueUrl)}${values.worker ? ', run here too' : ', run by workers'}`;
    context.err(`gramlens is serving on ${where} (data in ${resolve(dataDir)}${databaseLine}${queueText}; model: ${bundle ?? 'none active yet'})`);
    if (!staticDir) context.err('the web app is not built (npm run build:web); only the API is served');
    await new Promise<void>((done) => context.signal.addEventListener('abort', () => done(), { once: true }));
    await app.close();
    await predictor.dispose();
    return 0;
  },
};
