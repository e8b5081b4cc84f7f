import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, serializeModelWeights } from '../../src/models/index.ts';
import { createParallelStepRunner, type ParallelOptions, type ParallelStepRunner } from '../../src/train/parallel/index.ts';
import {
  BatchBuilder,
  LocalStepRunner,
  createOptimizer,
  logitsModelOf,
  resolveTrainConfig,
  trainClassifier,
  type ImageSet,
  type LossInputs,
  type TrainConfig,
} from '../../src/train/index.ts';
import { toyImageSet } from './fixtures/toy-data.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const normalisation = { mean: [0.5], std: [0.25] };
const plainLoss: LossInputs = { numClasses: 4, classWeights: null, labelSmoothing: 0 };

function runnerFor(options: ParallelOptions, config: TrainConfig, train: ImageSet, loss: LossInputs, augment?: 'microscopy'): Promise<ParallelStepRunner> {
  const [, h, w, c] = train.shape;
  const model = buildModel(config.model, { inputShape: [h, w, c], numClasses: 4, width: config.width, seed: config.seed });
  return createParallelStepRunner(options)({ config, model, logitsModel: logitsModelOf(model), train, normalisation, augment, loss });
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((max, v, i) => Math.max(max, Math.abs(v - b[i])), 0);
}

describe('createParallelStepRunner', () => {
  it('takes the same step as one thread on the whole batch (seed-cnn, class weights, Adam)', async () => {
    const config = resolveTrainConfig({ model: 'seed-cnn', width: 2, batchSize: 8, learningRate: 0.01, seed: 3 });
    const train = toyImageSet(32, 4, 1);
    // Unequal class weights make the two halves of a batch weigh differently in its mean loss.
    const loss: LossInputs = { numClasses: 4, classWeights: Float32Array.of(0.5, 1, 2, 4), labelSmoothing: 0.1 };
    const batches = [Int32Array.of(0, 1, 2, 3, 3, 7, 11, 15), Int32Array.of(8, 12, 16, 20, 5, 6, 9, 30)];

    const single = buildModel('seed-cnn', { inputShape: [8, 8, 1], numClasses: 4, width: 2, seed: 3 });
    const local = new LocalStepRunner(logitsModelOf(single), createOptimizer(config), train, new BatchBuilder(train, normalisation), loss, 8);
    const model = buildModel('seed-cnn', { inputShape: [8, 8, 1], numClasses: 4, width: 2, seed: 3 });
    const parallel = await createParallelStepRunner({ workers: 2 })({ config, model, logitsModel: logitsModelOf(model), train, normalisation, loss });
    try {
      for (const [step, batch] of batches.entries()) {
        const expected = await local.step(batch, step, 0.01);
        const actual = await parallel.step(batch, step, 0.01);
        expect(actual.correct).toBe(expected.correct);
        expect(actual.loss).toBeCloseTo(expected.loss, 5);
        expect(maxAbsDifference(serializeModelWeights(model).data, serializeModelWeights(single).data)).toBeLessThan(1e-5);
      }
      expect(maxAbsDifference((await parallel.optimizerWeights()).data, (await local.optimizerWeights()).data)).toBeLessThan(1e-5);
      const [main, worker] = await parallel.replicaChecksums();
      expect(worker).toBe(main);
    } finally {
      await parallel.dispose();
      await local.dispose();
    }
  });

  it('with one replica matches the in-process runner, optimizer state included, so their checkpoints are interchangeable', async () => {
    const config = resolveTrainConfig({ model: 'resnet-small', width: 2, batchSize: 8, learningRate: 0.01, seed: 5 });
    // 16×16 gives the ResNet a second, downsampling stage with a shortcut convolution.
    const train = toyImageSet(32, 4, 1, 16);
    const single = buildModel('resnet-small', { inputShape: [16, 16, 1], numClasses: 4, width: 2, seed: 5 });
    const local = new LocalStepRunner(logitsModelOf(single), createOptimizer(config), train, new BatchBuilder(train, normalisation), plainLoss, 8);
    const model = buildModel('resnet-small', { inputShape: [16, 16, 1], numClasses: 4, width: 2, seed: 5 });
    const parallel = await createParallelStepRunner({ workers: 1 })({ config, model, logitsModel: logitsModelOf(model), train, normalisation, loss: plainLoss });
    try {
      for (let step = 0; step < 2; step++) {
        const batch = Int32Array.from({ length: 8 }, (_, i) => step * 8 + i);
        await local.step(batch, step, 0.01);
        await parallel.step(batch, step, 0.01);
      }
      expect(maxAbsDifference(serializeModelWeights(model).data, serializeModelWeights(single).data)).toBeLessThan(1e-5);
      const [mine, theirs] = [await parallel.optimizerWeights(), await local.optimizerWeights()];
      // A ResNet lists its shortcut convolutions in another order than it created them; the state must follow creation.
      expect(mine.entries.map((e) => e.shape)).toEqual(theirs.entries.map((e) => e.shape));
      expect(maxAbsDifference(mine.data, theirs.data)).toBeLessThan(1e-5);
    } finally {
      await parallel.dispose();
      await local.dispose();
    }
  });

  it('keeps batch-norm replicas bit-identical, with augmentation and parts of unequal or zero size', async () => {
    const config = resolveTrainConfig({ model: 'resnet-small', width: 2, batchSize: 8, learningRate: 0.01, seed: 5 });
    const runner = await runnerFor({ workers: 3 }, config, toyImageSet(32, 4, 1, 16), plainLoss, 'microscopy');
    try {
      const before = await runner.replicaChecksums();
      const tensorsAfterStep: number[] = [];
      for (let step = 0; step < 4; step++) {
        await runner.step(Int32Array.from({ length: 8 }, (_, i) => (step * 8 + i) % 32), step, 0.01);
        tensorsAfterStep.push(tf.memory().numTensors);
      }
      // The optimizer creates its state at the first step; nothing may accumulate after it.
      expect(new Set(tensorsAfterStep.slice(1)).size).toBe(1);
      // Two samples over three replicas: the main thread's part is empty.
      const small = await runner.step(Int32Array.of(4, 9), 99, 0.01);
      expect(Number.isFinite(small.loss)).toBe(true);
      const after = await runner.replicaChecksums();
      expect(after).toHaveLength(3);
      expect(new Set(after).size).toBe(1);
      expect(after[0]).not.toBe(before[0]);
      expect(runner.timings().steps).toBe(5);
    } finally {
      await runner.dispose();
    }
    await expect(runner.step(Int32Array.of(1, 2, 3), 0, 0.01)).rejects.toThrow('the parallel step runner was disposed');
  });

  it('averages batch-norm statistics by part size, as a whole-batch pass would move them', async () => {
    const config = resolveTrainConfig({ model: 'resnet-small', width: 2, batchSize: 8, learningRate: 0.01, seed: 5 });
    const train = toyImageSet(32, 4, 1);
    const single = buildModel('resnet-small', { inputShape: [8, 8, 1], numClasses: 4, width: 2, seed: 5 });
    const local = new LocalStepRunner(logitsModelOf(single), createOptimizer(config), train, new BatchBuilder(train, normalisation), plainLoss, 8);
    const model = buildModel('resnet-small', { inputShape: [8, 8, 1], numClasses: 4, width: 2, seed: 5 });
    const parallel = await createParallelStepRunner({ workers: 2 })({ config, model, logitsModel: logitsModelOf(model), train, normalisation, loss: plainLoss });
    // Seven samples: parts of 3 and 4. The first layer sees the same inputs either way, so the mean it tracks must agree.
    const batch = Int32Array.of(0, 5, 10, 15, 20, 25, 30);
    try {
      await local.step(batch, 0, 0.01);
      await parallel.step(batch, 0, 0.01);
      const movingMean = (m: typeof model) => m.getLayer('stem_bn').getWeights()[2].dataSync() as Float32Array;
      const initial = buildModel('resnet-small', { inputShape: [8, 8, 1], numClasses: 4, width: 2, seed: 5 });
      expect(maxAbsDifference(movingMean(model), movingMean(initial))).toBeGreaterThan(1e-3);
      expect(maxAbsDifference(movingMean(model), movingMean(single))).toBeLessThan(1e-6);
    } finally {
      await parallel.dispose();
      await local.dispose();
    }
  });

  it('trains with trainClassifier, deterministically, and resumes a cancelled run to the same weights', async () => {
    const train = toyImageSet(96, 4, 1);
    const validation = toyImageSet(48, 4, 2);
    const config = { model: 'seed-cnn' as const, width: 2, batchSize: 8, learningRate: 0.01, epochs: 4, patience: 0, checkpointEverySteps: 100, seed: 3 };
    const createStepRunner = createParallelStepRunner({ workers: 2 });

    const straight = await trainClassifier(train, validation, config, { numClasses: 4, createStepRunner });
    expect(straight.status).toBe('completed');
    expect(straight.history[straight.bestEpoch].valAccuracy).toBeGreaterThan(0.9);

    const runDir = await mkdtemp(join(tmpdir(), 'gl-parallel-'));
    const controller = new AbortController();
    const cancelled = await trainClassifier(train, validation, config, {
      numClasses: 4,
      runDir,
      createStepRunner,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.kind === 'step' && event.epoch === 1 && event.step === 5) controller.abort();
      },
    });
    expect(cancelled.status).toBe('cancelled');
    const resumed = await trainClassifier(train, validation, config, { numClasses: 4, runDir, resume: true, createStepRunner });
    expect(resumed.status).toBe('completed');
    expect(resumed.history.map(({ seconds, ...rest }) => rest)).toEqual(straight.history.map(({ seconds, ...rest }) => rest));
    expect(serializeModelWeights(resumed.model).data).toEqual(serializeModelWeights(straight.model).data);
  });

  describe('a failing worker', () => {
    const realWorker = new URL('../../src/train/parallel/worker.ts', import.meta.url).href;

    async function entry(body: string): Promise<string> {
      const file = join(await mkdtemp(join(tmpdir(), 'gl-worker-')), 'entry.mjs');
      await writeFile(file, `import { parentPort } from 'node:worker_threads';\nlet steps = 0;\n${body}\nawait import(${JSON.stringify(realWorker)});\n`);
      return pathToFileURL(file).href;
    }
    const config = resolveTrainConfig({ model: 'seed-cnn', width: 2, batchSize: 8, seed: 1 });
    const batch = Int32Array.of(0, 1, 2, 3, 4, 5, 6, 7);

    it('surfaces a worker that exits mid-run as an error from step(), then from every later step', async () => {
      const workerEntry = await entry(`parentPort.on('message', (m) => { if (m.kind === 'step' && ++steps === 2) process.exit(7); });`);
      const runner = await runnerFor({ workers: 2, workerEntry }, config, toyImageSet(16, 4, 1), plainLoss);
      try {
        await runner.step(batch, 0, 0.01);
        await expect(runner.step(batch, 1, 0.01)).rejects.toThrow('training worker 1 exited unexpectedly with code 7');
        await expect(runner.step(batch, 2, 0.01)).rejects.toThrow('training worker 1 exited unexpectedly with code 7');
      } finally {
        await runner.dispose();
      }
    });

    it('surfaces an uncaught exception in a worker', async () => {
      const workerEntry = await entry(`parentPort.on('message', (m) => { if (m.kind === 'step') throw new Error('kernel exploded'); });`);
      const runner = await runnerFor({ workers: 2, workerEntry }, config, toyImageSet(16, 4, 1), plainLoss);
      try {
        await expect(runner.step(batch, 0, 0.01)).rejects.toThrow('training worker 1 crashed: kernel exploded');
      } finally {
        await runner.dispose();
      }
    });

    it('fails to start with a clear error', async () => {
      const workerEntry = await entry(`throw new Error('no backend here');`);
      await expect(runnerFor({ workers: 2, workerEntry }, config, toyImageSet(16, 4, 1), plainLoss)).rejects.toThrow('training worker 1 failed to start: no backend here');
    });
  });

  it('rejects a bad worker count', () => {
    expect(() => createParallelStepRunner({ workers: 0 })).toThrow('workers must be an integer ≥ 1; got 0');
  });
});
