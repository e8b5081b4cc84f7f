import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, serializeModelWeights } from '../../src/models/index.ts';
import { createParallelStepRunner } from '../../src/train/parallel/index.ts';
import {
  BatchBuilder,
  LocalStepRunner,
  batchLoss,
  createOptimizer,
  labelMasks,
  logitsModelOf,
  predictLogits,
  resolveTrainConfig,
  setCrossEntropy,
  setNegativeLogLikelihood,
  trainClassifier,
  type ImageSet,
  type LossInputs,
} from '../../src/train/index.ts';
import { toyImageSet } from './fixtures/toy-data.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const normalisation = { mean: [0.5], std: [0.25] };
/** Toy tree over the four quadrant classes: node 4 = {0, 1}, node 5 = {2, 3}. */
const COARSE = [[0, 1], [2, 3]];

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

function softmax(row: number[]): number[] {
  const max = Math.max(...row);
  const exps = row.map((z) => Math.exp(z - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

describe('set cross-entropy', () => {
  it('is −log of the summed probability of the set, stable for extreme logits', () => {
    const logits = tf.tensor2d([[0, 0, 0, 0], [1000, 0, -1000, 5]]);
    const masks = tf.tensor2d(labelMasks([4, 5], 4, COARSE), [2, 4]);
    const values = setCrossEntropy(logits, masks, 0).arraySync();
    expect(values[0]).toBeCloseTo(Math.log(2), 6);
    // P({2, 3}) = e^5 / (e^1000 + …): the loss is 995 to float precision, not Infinity.
    expect(values[1]).toBeCloseTo(995, 2);
    expect(setNegativeLogLikelihood([0, 0, 0, 0], 4, COARSE)).toBeCloseTo(Math.log(2), 12);
    expect(setNegativeLogLikelihood([1000, 0, -1000, 5], 5, COARSE)).toBeCloseTo(995, 9);
    tf.dispose([logits, masks]);
  });

  it('has the gradient softmax(z) − [(1 − ε)·softmax(z over S) + ε/k], which matches finite differences', () => {
    const rows = [[0.3, -1.2, 2.0, 0.5], [1.5, 0.1, -0.4, -2.2], [-0.7, 0.9, 0.2, 1.1]];
    const labels = [4, 1, 5];
    for (const smoothing of [0, 0.2]) {
      const masks = tf.tensor2d(labelMasks(labels, 4, COARSE), [3, 4]);
      const gradient = tf.grad((z: tf.Tensor) => tf.sum(setCrossEntropy(z as tf.Tensor2D, masks, smoothing)))(tf.tensor2d(rows)).arraySync() as number[][];
      rows.forEach((row, i) => {
        const p = softmax(row);
        const inSet = labels[i] < 4 ? [labels[i]] : COARSE[labels[i] - 4];
        const q = softmax(row.map((z, c) => (inSet.includes(c) ? z : -Infinity)));
        const expected = p.map((pc, c) => pc - ((1 - smoothing) * q[c] + smoothing / 4));
        expect(maxAbsDifference(gradient[i], expected)).toBeLessThan(1e-6);
      });
      masks.dispose();
    }
    // The JS loss (validation) agrees with the gradient by central differences, in float64.
    const h = 1e-6;
    for (const row of rows) {
      const p = softmax(row);
      const q = softmax(row.map((z, c) => (COARSE[0].includes(c) ? z : -Infinity)));
      row.forEach((_, c) => {
        const bumped = (d: number) => setNegativeLogLikelihood(row.map((z, j) => (j === c ? z + d : z)), 4, COARSE);
        expect((bumped(h) - bumped(-h)) / (2 * h)).toBeCloseTo(p[c] - q[c], 6);
      });
    }
  });

  it('equals the current loss on class labels: same value and gradients (class weights, label smoothing)', () => {
    const model = buildModel('seed-cnn', { inputShape: [8, 8, 1], numClasses: 4, width: 2, seed: 3 });
    const logitsModel = logitsModelOf(model);
    const set = toyImageSet(8, 4, 1);
    const xs = tf.tensor4d(set.images as Float32Array, [8, 8, 8, 1]);
    const variables = logitsModel.trainableWeights.map((w) => w.read() as tf.Variable);
    const plain: LossInputs = { numClasses: 4, classWeights: Float32Array.of(0.5, 1, 2, 4), labelSmoothing: 0.1 };
    const withSets: LossInputs = { ...plain, classWeights: Float32Array.of(0.5, 1, 2, 4, 0.7, 3), coarseLabels: COARSE };
    const run = (inputs: LossInputs) => {
      const keep: { predicted?: tf.Tensor } = {};
      const { value, grads } = tf.variableGrads(() => batchLoss(logitsModel, xs, set.labels, inputs, keep), variables);
      keep.predicted!.dispose();
      const result = { loss: value.dataSync()[0], grads: variables.map((v) => Array.from(grads[v.name].dataSync())) };
      tf.dispose([value, grads]);
      return result;
    };
    const expected = run(plain);
    const actual = run(withSets);
    expect(Math.abs(actual.loss - expected.loss)).toBeLessThan(1e-6);
    const worst = Math.max(...actual.grads.map((g, i) => maxAbsDifference(g, expected.grads[i])));
    expect(worst).toBeLessThan(1e-6);
    xs.dispose();
    model.dispose();
  });
});

describe('step runners with coarse labels', () => {
  const config = resolveTrainConfig({ model: 'seed-cnn', width: 2, batchSize: 8, learningRate: 0.01, seed: 3 });

  it('in process: trains class-labelled data exactly as the plain loss does', async () => {
    const train = toyImageSet(32, 4, 1);
    const runner = (loss: LossInputs) => {
      const model = buildModel('seed-cnn', { inputShape: [8, 8, 1], numClasses: 4, width: 2, seed: 3 });
      return { model, runner: new LocalStepRunner(logitsModelOf(model), createOptimizer(config), train, new BatchBuilder(train, normalisation), loss, 8) };
    };
    const plain = runner({ numClasses: 4, classWeights: null, labelSmoothing: 0 });
    const sets = runner({ numClasses: 4, classWeights: null, labelSmoothing: 0, coarseLabels: COARSE });
    for (let step = 0; step < 3; step++) {
      const batch = Int32Array.from({ length: 8 }, (_, i) => step * 8 + i);
      const expected = await plain.runner.step(batch, step, 0.01);
      const actual = await sets.runner.step(batch, step, 0.01);
      expect(Math.abs(actual.loss - expected.loss)).toBeLessThan(1e-6);
      expect(actual.correct).toBe(expected.correct);
    }
    expect(maxAbsDifference(serializeModelWeights(sets.model).data, serializeModelWeights(plain.model).data)).toBeLessThan(1e-6);
    await plain.runner.dispose();
    await sets.runner.dispose();
  });

  it('data-parallel: takes the same step as one thread on a batch mixing class and coarse labels, replicas identical', async () => {
    const train = toyImageSet(32, 4, 1);
    train.labels[0] = 4;
    train.labels[6] = 5;
    train.labels[9] = 4;
    const loss: LossInputs = { numClasses: 4, classWeights: Float32Array.of(0.5, 1, 2, 4, 0.8, 3), labelSmoothing: 0.1, coarseLabels: COARSE };
    const single = buildModel('seed-cnn', { inputShape: [8, 8, 1], numClasses: 4, width: 2, seed: 3 });
    const local = new LocalStepRunner(logitsModelOf(single), createOptimizer(config), train, new BatchBuilder(train, normalisation), loss, 8);
    const model = buildModel('seed-cnn', { inputShape: [8, 8, 1], numClasses: 4, width: 2, seed: 3 });
    const parallel = await createParallelStepRunner({ workers: 2 })({ config, model, logitsModel: logitsModelOf(model), train, normalisation, loss });
    try {
      for (const [step, batch] of [Int32Array.of(0, 1, 2, 3, 4, 5, 6, 7), Int32Array.of(8, 9, 10, 11, 0, 6, 12, 13)].entries()) {
        const expected = await local.step(batch, step, 0.01);
        const actual = await parallel.step(batch, step, 0.01);
        expect(actual.correct).toBe(expected.correct);
        expect(actual.loss).toBeCloseTo(expected.loss, 5);
        expect(maxAbsDifference(serializeModelWeights(model).data, serializeModelWeights(single).data)).toBeLessThan(1e-5);
      }
      const [main, worker] = await parallel.replicaChecksums();
      expect(worker).toBe(main);
    } finally {
      await parallel.dispose();
      await local.dispose();
    }
  });
});

describe('trainClassifier with coarse labels', () => {
  /** Half of the images of classes 0 and 1 are labelled only with their parent (label 4). */
  function halfCoarse(set: ImageSet): ImageSet {
    const labels = set.labels.slice();
    const seen = [0, 0];
    labels.forEach((label, i) => {
      if (label < 2 && seen[label]++ % 2 === 0) labels[i] = 4;
    });
    return { ...set, labels };
  }

  it('still learns to separate two siblings whose images are half labelled only with their parent', async () => {
    const train = halfCoarse(toyImageSet(96, 4, 1));
    expect([0, 1, 4].map((label) => train.labels.filter((l) => l === label).length)).toEqual([12, 12, 24]);
    const validation = toyImageSet(48, 4, 2);
    const result = await trainClassifier(train, validation, { model: 'seed-cnn', width: 2, batchSize: 8, learningRate: 0.01, epochs: 6, patience: 0, seed: 3 }, {
      numClasses: 4,
      coarseLabels: COARSE,
    });
    expect(result.status).toBe('completed');
    const logits = predictLogits(logitsModelOf(result.model), validation, result.normalisation);
    let correct = 0;
    let siblings = 0;
    validation.labels.forEach((label, i) => {
      if (label > 1) return;
      siblings++;
      const row = Array.from(logits.subarray(i * 4, i * 4 + 4));
      if (row.indexOf(Math.max(...row)) === label) correct++;
    });
    // Chance between the two siblings is 50%.
    expect(correct / siblings).toBeGreaterThan(0.85);
    expect(Number.isFinite(result.history.at(-1)!.loss)).toBe(true);
  });

  it('reports validation loss over every image and accuracy over the class-labelled ones', async () => {
    const train = toyImageSet(32, 4, 1);
    const validation = toyImageSet(16, 4, 2);
    const coarseValidation = { ...validation, labels: validation.labels.map((label) => (label < 2 ? 4 : label)) };
    const config = { model: 'seed-cnn' as const, width: 2, batchSize: 8, epochs: 1, seed: 3 };
    const [plain, coarse] = [
      await trainClassifier(train, validation, config, { numClasses: 4 }),
      await trainClassifier(train, coarseValidation, config, { numClasses: 4, coarseLabels: COARSE }),
    ];
    const logits = predictLogits(logitsModelOf(coarse.model), validation, coarse.normalisation);
    const expectedLoss = coarseValidation.labels.reduce((sum, label, i) => sum + setNegativeLogLikelihood(logits.subarray(i * 4, i * 4 + 4), label, COARSE), 0) / 16;
    const record = coarse.history[0];
    expect(record.valLoss).toBeCloseTo(expectedLoss, 5);
    expect(record.valLoss).toBeLessThan(plain.history[0].valLoss);
    let correct = 0;
    validation.labels.forEach((label, i) => {
      const row = Array.from(logits.subarray(i * 4, i * 4 + 4));
      if (label >= 2 && row.indexOf(Math.max(...row)) === label) correct++;
    });
    expect(record.valAccuracy).toBeCloseTo(correct / 8, 6);
  });

  it('resumes a cancelled run to the same weights', async () => {
    const train = halfCoarse(toyImageSet(48, 4, 1));
    const validation = toyImageSet(16, 4, 2);
    const config = { model: 'seed-cnn' as const, width: 2, batchSize: 8, learningRate: 0.01, epochs: 3, patience: 0, checkpointEverySteps: 100, seed: 3 };
    const options = { numClasses: 4, coarseLabels: COARSE };
    const straight = await trainClassifier(train, validation, config, options);
    const runDir = await mkdtemp(join(tmpdir(), 'gl-coarse-resume-'));
    const controller = new AbortController();
    const cancelled = await trainClassifier(train, validation, config, {
      ...options,
      runDir,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.kind === 'step' && event.epoch === 1 && event.step === 2) controller.abort();
      },
    });
    expect(cancelled.status).toBe('cancelled');
    const resumed = await trainClassifier(train, validation, config, { ...options, runDir, resume: true });
    expect(resumed.history.map(({ seconds, ...rest }) => rest)).toEqual(straight.history.map(({ seconds, ...rest }) => rest));
    expect(serializeModelWeights(resumed.model).data).toEqual(serializeModelWeights(straight.model).data);
  });

  it('refuses labels outside the classes and coarse labels, and a validation set without class labels', async () => {
    const train = toyImageSet(16, 4, 1);
    const config = { model: 'seed-cnn' as const, width: 2, batchSize: 8, epochs: 1 };
    const allCoarse = { ...toyImageSet(8, 4, 2), labels: new Int32Array(8).fill(4) };
    await expect(trainClassifier({ ...train, labels: train.labels.map(() => 6) }, toyImageSet(8, 4, 2), config, { numClasses: 4, coarseLabels: COARSE })).rejects.toThrow(
      'the training set has label 6, outside 0..5',
    );
    await expect(trainClassifier(train, allCoarse, config, { numClasses: 4, coarseLabels: COARSE })).rejects.toThrow('every validation image has a coarse label');
    await expect(trainClassifier(train, toyImageSet(8, 4, 2), config, { numClasses: 4, coarseLabels: [[0, 7]] })).rejects.toThrow(
      'coarse label 4 must list class indices in 0..3; got [0, 7]',
    );
  });
});
