// A queue worker in a process of its own, with a slow fake trainer and slow fake job models, for kill -9 tests:
// argv: dataDir database|'' redisUrl prefix name epochs epochMs lockDurationMs stalledIntervalMs [itemMs]
import { join } from 'node:path';
import { startJobWorker } from '../../src/jobs/index.ts';
import { openStore } from '../../src/store/index.ts';
import { pngImage } from '../store/fixtures.ts';
import { fakeJobModels } from './fake-models.ts';
import { fakeTrainer } from './fake-trainer.ts';

const [dataDir, database, url, prefix, name, epochs, epochMs, lockDurationMs, stalledIntervalMs, itemMs = '0'] = process.argv.slice(2);
const store = await openStore({ dataDir, database: database || undefined });
const quiet = (): void => {};
await startJobWorker({
  url,
  prefix,
  runner: name,
  store,
  trainer: fakeTrainer({ bundleRoot: join(dataDir, 'trained'), epochs: Number(epochs), epochMs: Number(epochMs) }),
  models: fakeJobModels(await pngImage(1), { itemMs: Number(itemMs) }),
  log: { info: quiet, warn: quiet, error: (details, message) => process.stderr.write(`${message} ${JSON.stringify(details)}\n`) },
  timings: { lockDurationMs: Number(lockDurationMs), stalledIntervalMs: Number(stalledIntervalMs) },
});
process.stdout.write('ready\n');
