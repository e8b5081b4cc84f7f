import * as tfl from '@tensorflow/tfjs-layers';
import { parentPort, workerData } from 'node:worker_threads';
import { augmentPipeline } from '../../augment/index.ts';
import { initEngine } from '../../engine/index.ts';
import { loadModelWeights } from '../../models/index.ts';
import { createOptimizer } from '../optimizer.ts';
import { BatchBuilder } from '../step.ts';
import { logitsModelOf } from '../trainer.ts';
import type { ImageSet } from '../dataset.ts';
import type { MainMessage, WorkerMessage, WorkerSetup } from './protocol.ts';
import { Replica } from './replica.ts';

const setup = workerData as WorkerSetup;
const port = parentPort!;
const post = (message: WorkerMessage) => port.postMessage(message);

await initEngine({ backend: setup.backend });
const model = await tfl.models.modelFromJSON(setup.topology);
loadModelWeights(model, setup.weights);
const train: ImageSet = {
  images: setup.imagesType === 'uint8' ? new Uint8Array(setup.images) : new Float32Array(setup.images),
  shape: setup.shape,
  labels: new Int32Array(setup.labels),
};
const replica = new Replica(
  model,
  logitsModelOf(model),
  () => createOptimizer(setup.optimizer),
  train,
  new BatchBuilder(train, setup.normalisation, setup.augment ? augmentPipeline(setup.augment) : undefined),
  setup.loss,
  setup.batchSize,
  setup.trainableOrder,
  setup.groups,
);
if (JSON.stringify(replica.layout) !== JSON.stringify(setup.layout)) {
  throw new Error("the rebuilt replica does not have the main model's weight shapes");
}
const exchange = new Float32Array(setup.exchange);
const update = new Float32Array(setup.update);

async function handle(message: MainMessage): Promise<void> {
  switch (message.kind) {
    case 'step':
      // The reply follows the writes into `exchange`; the port's mutex-guarded queue orders them for the reader.
      post({ kind: 'done', id: message.id, value: replica.computePart(message.indices, message.seed, exchange, message.groupRates) });
      return;
    case 'apply':
      replica.apply(update, message.learningRate, message.groupRates);
      return;
    case 'load':
      replica.loadWeights(message.weights);
      await replica.restoreOptimizer(message.optimizer);
      post({ kind: 'done', id: message.id, value: null });
      return;
    case 'checksum':
      post({ kind: 'done', id: message.id, value: replica.checksum() });
      return;
  }
}

// Messages are handled strictly in order, even when one handler awaits.
let queue = Promise.resolve();
port.on('message', (message: MainMessage) => {
  queue = queue
    .then(() => handle(message))
    .catch((error: Error) => post({ kind: 'failed', message: `${message.kind} failed: ${error.message}` }));
});
post({ kind: 'ready' });
