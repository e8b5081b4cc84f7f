// A queue worker in a process of its own, with a slow fake trainer, for kill -9 tests:
// argv: dataDir database|'' redisUrl prefix name epochs epochMs lockDurationMs stalledIntervalMs
import { join } from 'node:path';
import { startJobWorker } from '../../src/jobs/index.ts';
import { openStore } from '../../src/store/index.ts';
import { fakeTrainer } from './fake-trainer.ts';

const [dataDir, database, url, prefix, name, epochs, epochMs, lockDurationMs, stalledIntervalMs] = process.argv.slice(2);
const store = await openStore({ dataDir, database: database || undefined });
const quiet = (): void => {};
await startJobWorker({
  url,
  prefix,
  runner: name,
  store,
  trainer: fakeTrainer({ bundleRoot: join(dataDir, 'trained'), epochs: Number(epochs), epochMs: Number(epochMs) }),
  log: { info: quiet, warn: quiet, error: (details, message) => process.stderr.write(`${message} ${JSON.stringify(details)}\n`) },
  timings: { lockDurationMs: Number(lockDurationMs), stalledIntervalMs: Number(stalledIntervalMs) },
});
process.stdout.write('ready\n');
