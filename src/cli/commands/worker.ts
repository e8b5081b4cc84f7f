import { join, resolve } from 'node:path';
import { BACKEND_CHOICES, type BackendChoice } from '../../engine/index.ts';
import { bundleJobModels, checkRedis, startJobWorker, type JobLog, type JobWorker } from '../../jobs/index.ts';
import { openStore } from '../../store/index.ts';
import { redactedUrl } from '../../util/index.ts';
import { UsageError, stringOption, type CliContext, type Command } from '../command.ts';
import { databaseOf, databaseText, queueHelp, queueOf, queueTimingsOf, STALL_HELP } from '../locations.ts';
import { BACKEND_HELP, BACKEND_OPTION, parseSize, valueOptions } from '../options.ts';

/** One line per event on stderr: the message, then its details as key=value. */
function lineLog(context: CliContext): JobLog {
  const write = (details: object, message: string): void => {
    const fields = Object.entries(details).map(([key, value]) => `${key}=${value instanceof Error ? JSON.stringify(value.message) : JSON.stringify(value)}`);
    context.err([new Date().toISOString(), message, ...fields].join(' '));
  };
  return { info: write, warn: write, error: write };
}

export const workerCommand: Command = {
  name: 'worker',
  help: `Usage: gramlens worker --queue URL --database URL --data-dir DIR [options]

Runs the jobs launched from the admin pages and the API, one at a time, as a server does: training
runs (the finished bundle is registered as a model), scoring jobs (every image of a project scored
by the model active at launch) and re-explanation jobs (heatmaps recomputed beside those shown).
The progress and the end go into the job's row in the database (every server's admin page follows
them live). Run as many as you like, on any machine that reaches Redis, the database and the data
folder (and the model bundles). A worker killed mid-job (kill -9, power cut) has its job handed to
another worker once the job's hold lapses (--stall-seconds), which continues a training run from
the checkpoint left in the data folder (runs/run-N) and a scoring or re-explanation job from the
results already recorded; Ctrl-C or SIGTERM hands the running job back at once.

Options:
${queueHelp('default $GRAMLENS_QUEUE_URL; required')}
  --database URL      the servers' database: postgres://user:password@host:port/database (default
                      $GRAMLENS_DATABASE_URL, else gramlens.sqlite in the data folder, which only a
                      worker on the servers' machine can share)
  --data-dir DIR      the servers' data folder (images; manifests and runs/ are written there), on
                      a shared volume when the worker is on another machine (default gramlens-data)
  --train-size N      input size of the models it trains (default 64, as serve's --train-size)
  --name NAME         recorded as the runner of the jobs it runs (default "worker HOST pid PID")
${STALL_HELP}
${BACKEND_HELP}`,
  options: {
    ...valueOptions('queue', 'database', 'data-dir', 'train-size', 'name', 'stall-seconds'),
    ...BACKEND_OPTION,
  },
  async run(values, _positionals, context) {
    const queueUrl = queueOf(values);
    if (queueUrl === undefined) throw new UsageError('give the Redis queue: --queue redis://host:port (or $GRAMLENS_QUEUE_URL)');
    const database = databaseOf(values);
    const dataDir = stringOption(values, 'data-dir') ?? 'gramlens-data';
    const size = parseSize({ size: stringOption(values, 'train-size') }, 64);
    const backend = (stringOption(values, 'backend') ?? 'auto') as BackendChoice;
    if (!BACKEND_CHOICES.includes(backend)) throw new UsageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}; got "${backend}"`);
    const timings = queueTimingsOf(values);
    const name = stringOption(values, 'name');
    if (name !== undefined && name.trim() === '') throw new UsageError('--name must not be empty');

    await checkRedis(queueUrl);
    // TF.js loads with the pipeline: only once the options are known to be good
    const { createProjectTrainerProcess } = await import('../../pipeline/index.ts');
    const store = await openStore({ dataDir, database });
    let worker: JobWorker | undefined;
    try {
      worker = await startJobWorker({
        url: queueUrl,
        store,
        trainer: createProjectTrainerProcess({ runsDir: join(dataDir, 'runs'), size, backend }),
        models: bundleJobModels(),
        log: lineLog(context),
        runner: name,
        timings,
      });
      context.err(`gramlens worker "${worker.runner}" takes jobs from ${redactedUrl(queueUrl)} (database ${databaseText(database, dataDir)}, data in ${resolve(dataDir)})`);
      await new Promise<void>((done) => context.signal.addEventListener('abort', () => done(), { once: true }));
    } finally {
      await worker?.close();
      await store.close();
    }
    return 0;
  },
};
