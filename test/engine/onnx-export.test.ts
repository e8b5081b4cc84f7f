import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportToOnnx, OnnxClassifier, SUPPORTED_LAYER_TYPES } from '../../src/engine/onnx/index.ts';
import { buildModel, FEATURE_LAYER_NAME, ONNX_EXPORTABLE_LAYERS, type ModelName } from '../../src/models/index.ts';
import { createRng, type Rng } from '../../src/util/index.ts';
import { mobileNetLike } from './mobilenet-like.ts';

const TOLERANCE = 1e-4;

function randomImages(rng: Rng, n: number, shape: readonly number[]): Float32Array {
  return Float32Array.from({ length: n * shape.reduce((a, b) => a * b, 1) }, () => rng.next());
}

/** Moves batch-norm layers off their identity initial state so that the export of moving stats is tested. */
function randomiseBatchNorm(model: tfl.LayersModel, rng: Rng): void {
  for (const layer of model.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
    const values = layer.weights.map((w) => {
      const short = w.originalName.split('/').pop();
      const draw = short === 'moving_variance' ? () => rng.uniform(0.3, 2) : short === 'gamma' ? () => rng.uniform(0.5, 1.5) : () => 0.3 * rng.normal();
      return tf.tensor1d(Float32Array.from({ length: w.shape[0] as number }, draw));
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
}

/** Outputs of the given layers of a TF.js model, in NHWC as TF.js computes them. */
function tfjsOutputs(model: tfl.LayersModel, layerNames: string[], images: Float32Array, n: number): Float32Array[] {
  const probe = tfl.model({ inputs: model.inputs, outputs: layerNames.map((name) => model.getLayer(name).output as tfl.SymbolicTensor) });
  return tf.tidy(() => {
    const x = tf.tensor(images, [n, ...(model.inputs[0].shape.slice(1) as number[])]);
    const out = probe.predict(x);
    return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
  });
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((max, v, i) => Math.max(max, Math.abs(v - b[i])), 0);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('exportToOnnx: zoo models match TF.js (cpu backend)', () => {
  const cases: Array<[ModelName, [number, number, number]]> = [
    ['seed-cnn', [28, 28, 1]],
    ['seed-cnn', [33, 35, 3]],
    ['seed-cnn', [64, 64, 3]],
    // 32: stride-2 'same' convolutions on even sizes pad asymmetrically (bottom/right).
    ['resnet-small', [32, 32, 3]],
    ['resnet-small', [33, 35, 3]],
    // 64: also the strided stem.
    ['resnet-small', [64, 64, 3]],
  ];

  it.each(cases)('%s at %j: probabilities and features', async (name, inputShape) => {
    const rng = createRng(11);
    const model = buildModel(name, { inputShape, numClasses: 4, seed: 3 });
    randomiseBatchNorm(model, rng);
    const classifier = await OnnxClassifier.load(exportToOnnx(model, { extraOutputs: [FEATURE_LAYER_NAME] }), { threads: 1 });
    try {
      expect(classifier.inputShape).toEqual(inputShape);
      expect(classifier.outputNames).toEqual(['probabilities', FEATURE_LAYER_NAME]);
      for (const n of [3, 1]) {
        const images = randomImages(rng, n, inputShape);
        const [probabilities, features] = tfjsOutputs(model, ['probabilities', FEATURE_LAYER_NAME], images, n);
        const onnx = await classifier.run(images, n);
        expect(maxAbsDifference(onnx.probabilities, probabilities)).toBeLessThanOrEqual(TOLERANCE);
        expect(onnx.outputs.probabilities.shape).toEqual([n, 4]);
        expect(onnx.outputs[FEATURE_LAYER_NAME].shape).toEqual((model.getLayer(FEATURE_LAYER_NAME).output as tfl.SymbolicTensor).shape.map((d) => d ?? n));
        expect(maxAbsDifference(onnx.outputs[FEATURE_LAYER_NAME].data, features)).toBeLessThanOrEqual(TOLERANCE);
      }
    } finally {
      await classifier.dispose();
      model.dispose();
    }
  });
});

describe('exportToOnnx: a MobileNetV2-like model matches TF.js', () => {
  // Odd sizes pad ((1, 1), (1, 1)) before the stride-2 layers, even ones ((0, 1), (0, 1)).
  it.each([
    [[17, 19, 3]],
    [[16, 16, 3]],
  ] as Array<[[number, number, number]]>)('input %j: probabilities, ZeroPadding2D, ReLU6 and residual outputs', async (inputShape) => {
    const rng = createRng(17);
    const model = mobileNetLike({ inputShape, classes: 5, seed: 4 });
    randomiseBatchNorm(model, rng);
    const extra = ['stem_pad', 'block_1_pad', 'block_1_depthwise_relu', 'block_2_add', 'out_relu'];
    const classifier = await OnnxClassifier.load(exportToOnnx(model, { extraOutputs: extra }), { threads: 1 });
    try {
      const n = 3;
      // Images scaled to [-1, 1], as MobileNetV2 expects them.
      const images = randomImages(rng, n, inputShape).map((v) => 2 * v - 1);
      const expected = tfjsOutputs(model, ['probabilities', ...extra], images, n);
      const onnx = await classifier.run(images, n);
      expect(onnx.outputs.block_1_pad.shape).toEqual((model.getLayer('block_1_pad').output as tfl.SymbolicTensor).shape.map((d) => d ?? n));
      ['probabilities', ...extra].forEach((name, i) => {
        expect(maxAbsDifference(onnx.outputs[name].data, expected[i]), name).toBeLessThanOrEqual(TOLERANCE);
      });
    } finally {
      await classifier.dispose();
      model.dispose();
    }
  });
});

describe('exportToOnnx: generic layers', () => {
  /** Every supported layer type, with valid/same padding, odd sizes, dilation, depthwise, clipped ReLU, asymmetric zero padding and rank-2 batch norm. */
  function kitchenSink(): tfl.LayersModel {
    const seeded = (seed: number) => tfl.initializers.glorotUniform({ seed });
    const biasInit = (seed: number) => tfl.initializers.randomNormal({ stddev: 0.2, seed });
    const input = tfl.input({ shape: [20, 23, 3], name: 'pixels' });
    const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) => layer.apply(x) as tfl.SymbolicTensor;
    let x = apply(tfl.layers.conv2d({ filters: 6, kernelSize: [3, 5], strides: [2, 1], padding: 'valid', activation: 'tanh', kernelInitializer: seeded(1), biasInitializer: biasInit(2), name: 'conv_valid' }), input);
    x = apply(tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'sigmoid', depthwiseInitializer: seeded(3), biasInitializer: biasInit(4), name: 'depthwise' }), x);
    x = apply(tfl.layers.conv2d({ filters: 8, kernelSize: 3, dilationRate: 2, padding: 'same', kernelInitializer: seeded(5), name: 'conv_dilated' }), x);
    x = apply(tfl.layers.batchNormalization({ name: 'bn_map' }), x);
    x = apply(tfl.layers.reLU({ maxValue: 0.8, name: 'clipped' }), x);
    const averaged = apply(tfl.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'same', name: 'avg_same' }), x);
    const maxed = apply(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same', name: 'max_same' }), x);
    const squashed = apply(tfl.layers.activation({ activation: 'sigmoid', name: 'squash' }), averaged);
    x = apply(tfl.layers.add({ name: 'sum3' }), [averaged, maxed, squashed]);
    x = apply(tfl.layers.dropout({ rate: 0.5, name: 'drop' }), x);
    const pooled = apply(tfl.layers.globalMaxPooling2d({ name: 'gmax' }), apply(tfl.layers.averagePooling2d({ poolSize: 2, padding: 'valid', name: 'avg_valid' }), x));
    const averagedGlobal = apply(tfl.layers.globalAveragePooling2d({ name: 'gavg' }), apply(tfl.layers.zeroPadding2d({ padding: [[1, 0], [2, 1]], name: 'zero_pad' }), x));
    const flat = apply(tfl.layers.flatten({ name: 'flat' }), x);
    const a = apply(tfl.layers.dense({ units: 7, activation: 'relu', kernelInitializer: seeded(6), biasInitializer: biasInit(7), name: 'dense_a' }), flat);
    const b = apply(tfl.layers.dense({ units: 7, useBias: false, kernelInitializer: seeded(8), name: 'dense_b' }), pooled);
    const c = apply(tfl.layers.dense({ units: 7, activation: 'tanh', kernelInitializer: seeded(9), name: 'dense_c' }), averagedGlobal);
    x = apply(tfl.layers.add({ name: 'sum_flat' }), [a, b, c]);
    x = apply(tfl.layers.batchNormalization({ name: 'bn_flat' }), x);
    x = apply(tfl.layers.activation({ activation: 'linear', name: 'identity' }), x);
    const out = apply(tfl.layers.activation({ activation: 'softmax', name: 'softmax' }), x);
    return tfl.model({ inputs: input, outputs: out, name: 'kitchen-sink' });
  }

  it('matches TF.js on every output, feature maps in NHWC', async () => {
    const rng = createRng(5);
    const model = kitchenSink();
    randomiseBatchNorm(model, rng);
    const extra = ['clipped', 'sum3', 'bn_flat'];
    const classifier = await OnnxClassifier.load(exportToOnnx(model, { extraOutputs: extra }), { threads: 1 });
    try {
      const n = 2;
      const images = randomImages(rng, n, [20, 23, 3]);
      const expected = tfjsOutputs(model, ['softmax', ...extra], images, n);
      const onnx = await classifier.run(images, n);
      expect(classifier.outputNames).toEqual(['softmax', ...extra]);
      expect(onnx.outputs.sum3.shape).toEqual([n, 5, 10, 8]);
      ['softmax', ...extra].forEach((name, i) => {
        expect(maxAbsDifference(onnx.outputs[name].data, expected[i]), name).toBeLessThanOrEqual(TOLERANCE);
      });
    } finally {
      await classifier.dispose();
      model.dispose();
    }
  });

  it('converts exactly the layer classes the model registry lets a model use (ONNX_EXPORTABLE_LAYERS)', () => {
    expect([...SUPPORTED_LAYER_TYPES].sort()).toEqual([...ONNX_EXPORTABLE_LAYERS].sort());
  });

  it('names the unsupported layer and lists the supported types', () => {
    const input = tfl.input({ shape: [8, 8, 1] });
    const up = tfl.layers.upSampling2d({ size: [2, 2], name: 'up' }).apply(input) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: tfl.layers.flatten().apply(up) as tfl.SymbolicTensor });
    expect(() => exportToOnnx(model)).toThrow(/unsupported layer "up" \(UpSampling2D\); supported layer types: .*Conv2D/);
    model.dispose();
  });

  it('names an unsupported activation and an unknown extra output', () => {
    const input = tfl.input({ shape: [8, 8, 1] });
    const conv = tfl.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'elu', name: 'elu_conv' }).apply(input) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: conv });
    expect(() => exportToOnnx(model)).toThrow(/layer "elu_conv" uses activation "elu".*supported: linear, relu, sigmoid, tanh, softmax/);
    expect(() => exportToOnnx(model, { extraOutputs: ['nope'] })).toThrow(/no layer named "nope"/);
    model.dispose();
  });
});

describe('OnnxClassifier', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gramlens-onnx-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads from a file, defaults to all cores, and checks its input', async () => {
    const model = buildModel('seed-cnn', { inputShape: [16, 16, 3], numClasses: 3, seed: 2 });
    const bytes = exportToOnnx(model);
    const path = join(dir, 'seed-cnn.onnx');
    writeFileSync(path, bytes);
    const fromFile = await OnnxClassifier.load(path);
    const fromBytes = await OnnxClassifier.load(bytes, { threads: 1 });
    try {
      const images = randomImages(createRng(1), 2, [16, 16, 3]);
      const [a, b] = await Promise.all([fromFile.run(images, 2), fromBytes.run(images, 2)]);
      expect(maxAbsDifference(a.probabilities, b.probabilities)).toBeLessThanOrEqual(1e-6);
      await expect(fromFile.run(images, 3)).rejects.toThrow(/expected 3 x \[16, 16, 3\] = 2304 values, got 1536/);
      await expect(OnnxClassifier.load(bytes, { threads: 0 })).rejects.toThrow(/threads must be a positive integer/);
    } finally {
      await fromFile.dispose();
      await fromBytes.dispose();
      model.dispose();
    }
  });
});
