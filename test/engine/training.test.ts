import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../src/engine/index.ts';
import { buildModel, LOGITS_LAYER_NAME, seedCnn, type ModelName } from '../../src/models/index.ts';
import { createRng } from '../../src/util/index.ts';
import { relativeError } from './compare.ts';
import { mobileNetLike } from './mobilenet-like.ts';

const TOLERANCE = 1e-4;
const SHAPE: [number, number, number] = [12, 12, 3];
const CLASSES = 3;
const BATCH = 6;

beforeAll(async () => {
  await initEngine({ backend: 'wasm' });
});

function makeBatch(seed: number) {
  const rng = createRng(seed);
  const pixels = Float32Array.from({ length: BATCH * SHAPE[0] * SHAPE[1] * SHAPE[2] }, () => rng.normal());
  const labels = Int32Array.from({ length: BATCH }, (_, i) => i % CLASSES);
  const x = tf.tensor4d(pixels, [BATCH, ...SHAPE]);
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES);
  return { x, y, labels };
}

interface StepResult {
  losses: number[];
  weights: Float32Array[];
}

type ModelChoice = ModelName | 'mobilenet-like';

function buildTestModel(name: ModelChoice, inputShape: [number, number, number], numClasses: number, seed: number): tfl.LayersModel {
  if (name === 'mobilenet-like') return mobileNetLike({ inputShape, classes: numClasses, seed });
  return buildModel(name, { inputShape, numClasses, width: 4, seed });
}

/** Two steps of model.fit-style training (trainOnBatch, categorical cross-entropy) on one backend. */
async function layersTraining(backend: string, name: ModelChoice, optimizer: 'adam' | 'sgd'): Promise<StepResult> {
  await tf.setBackend(backend);
  const model = buildTestModel(name, SHAPE, CLASSES, 5);
  // Adam's first steps move every weight by about ±lr whatever the gradient's size, so a gradient
  // within rounding of 0 can flip sign between backends; a larger epsilon damps those steps.
  const opt = optimizer === 'adam' ? tf.train.adam(1e-2, 0.9, 0.999, 1e-3) : tf.train.sgd(0.1);
  model.compile({ optimizer: opt, loss: 'categoricalCrossentropy' });
  const { x, y } = makeBatch(9);
  const losses = [(await model.trainOnBatch(x, y)) as number, (await model.trainOnBatch(x, y)) as number];
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  tf.dispose([x, y]);
  opt.dispose();
  model.dispose();
  return { losses, weights };
}

/** The trainer's path: optimizer.minimize on the logits with a class-weighted softmax cross-entropy. */
async function weightedMinimize(backend: string, name: ModelName): Promise<StepResult> {
  await tf.setBackend(backend);
  const model = buildModel(name, { inputShape: SHAPE, numClasses: CLASSES, width: 4, seed: 6 });
  const logitsModel = tfl.model({ inputs: model.inputs, outputs: model.getLayer(LOGITS_LAYER_NAME).output });
  const optimizer = tf.train.momentum(0.05, 0.9);
  const { x, y, labels } = makeBatch(10);
  const sampleWeights = tf.tensor1d(Float32Array.from(labels, (l) => [1, 2, 0.5][l]));
  const losses: number[] = [];
  for (let step = 0; step < 2; step++) {
    const loss = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(y, logitsModel.apply(x, { training: true }) as tf.Tensor, sampleWeights, 0.1) as tf.Scalar,
      true,
    )!;
    losses.push(loss.dataSync()[0]);
    loss.dispose();
  }
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  tf.dispose([x, y, sampleWeights]);
  optimizer.dispose();
  model.dispose();
  return { losses, weights };
}

/**
 * Relative error of a weight, in absolute terms when cpu leaves it within rounding of zero: the beta of
 * a batch norm followed by a convolution and another batch norm (MobileNetV2's projections) gets a
 * gradient of 0, so after two steps both backends hold rounding noise (about 1e-9).
 */
function weightError(actual: Float32Array, expected: Float32Array): number {
  const scale = expected.reduce((max, v) => Math.max(max, Math.abs(v)), 0);
  return scale < 1e-6 ? actual.reduce((max, v, i) => Math.max(max, Math.abs(v - expected[i])), 0) : relativeError(actual, expected);
}

function expectSame(wasm: StepResult, cpu: StepResult) {
  expect(relativeError(wasm.losses, cpu.losses)).toBeLessThan(TOLERANCE);
  expect(wasm.weights.length).toBe(cpu.weights.length);
  wasm.weights.forEach((w, i) => expect(weightError(w, cpu.weights[i])).toBeLessThan(TOLERANCE));
}

describe('training on wasm matches the cpu backend', () => {
  it.each([
    ['seed-cnn', 'adam'],
    ['seed-cnn', 'sgd'],
    ['resnet-small', 'adam'],
    ['resnet-small', 'sgd'],
    ['mobilenet-like', 'adam'],
    ['mobilenet-like', 'sgd'],
  ] as const)('%s with %s: losses and weights after two steps', async (name, optimizer) => {
    const wasm = await layersTraining('wasm', name, optimizer);
    const cpu = await layersTraining('cpu', name, optimizer);
    expectSame(wasm, cpu);
  });

  it.each(['seed-cnn', 'resnet-small'] as const)('%s with class-weighted softmax cross-entropy and momentum', async (name) => {
    const wasm = await weightedMinimize('wasm', name);
    const cpu = await weightedMinimize('cpu', name);
    expectSame(wasm, cpu);
  });
});

describe('memory', () => {
  it.each(['seed-cnn', 'resnet-small', 'mobilenet-like'] as const)('%s: tensors and wasm buffers stay flat over 100 training steps', async (name) => {
    await tf.setBackend('wasm');
    const model = name === 'seed-cnn'
      ? seedCnn({ inputShape: [8, 8, 1], numClasses: 2, filters: [4, 8], seed: 1 })
      : buildTestModel(name, [8, 8, 1], 2, 1);
    const optimizer = tf.train.adam(1e-3);
    model.compile({ optimizer, loss: 'categoricalCrossentropy' });
    const x = tf.randomNormal([4, 8, 8, 1], 0, 1, 'float32', 3);
    const y = tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2);
    await model.trainOnBatch(x, y);
    const tensors = tf.memory().numTensors;
    const buffers = tf.backend().numDataIds();
    for (let step = 0; step < 100; step++) await model.trainOnBatch(x, y);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(tf.backend().numDataIds()).toBe(buffers);
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  });
});
