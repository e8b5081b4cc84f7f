import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { profileKernels } from '../../bench/lib/kernel-profile.ts';
import { initEngine } from '../../src/engine/index.ts';
import { createRng } from '../../src/util/index.ts';
import { randomInputs, wasmVsCpu } from './compare.ts';

const TOLERANCE = 1e-4;

beforeAll(async () => {
  const info = await initEngine({ backend: 'wasm' });
  expect(info.trainingKernels).toBe(true);
});

interface ConvCase {
  batch: number;
  size: [number, number];
  channels: [number, number];
  kernel: number;
  stride: number;
  pad: 'same' | 'valid';
}

/** Every kernel × stride × padding combination, three times with random batch, odd/even sizes and channels. */
function convCases(): ConvCase[] {
  const rng = createRng(11);
  const cases: ConvCase[] = [];
  for (const kernel of [1, 3]) {
    for (const stride of [1, 2]) {
      for (const pad of ['same', 'valid'] as const) {
        for (let i = 0; i < 3; i++) {
          cases.push({
            batch: 1 + rng.int(3),
            size: [kernel + 2 + rng.int(7), kernel + 2 + rng.int(7)],
            channels: [rng.pick([1, 3, 4, 8]), rng.pick([1, 4, 5, 8, 16])],
            kernel,
            stride,
            pad,
          });
        }
      }
    }
  }
  return cases;
}

const describeConv = (c: ConvCase) =>
  `${c.batch}x${c.size.join('x')}x${c.channels[0]} -> ${c.channels[1]}, ${c.kernel}x${c.kernel} stride ${c.stride} ${c.pad}`;

function convInputs(c: ConvCase, seed: number, withBias = false) {
  const [h, w] = c.size;
  const [ci, co] = c.channels;
  const info = tf.backend_util.computeConv2DInfo([c.batch, h, w, ci], [c.kernel, c.kernel, ci, co], c.stride, 1, c.pad);
  return randomInputs(seed, {
    x: [c.batch, h, w, ci],
    filter: [c.kernel, c.kernel, ci, co],
    dy: info.outShape,
    ...(withBias ? { bias: [co] } : {}),
  });
}

describe('convolution gradients on wasm equal the cpu backend', () => {
  it.each(convCases().map((c, i) => [describeConv(c), c, i] as const))('%s: output, input and filter gradients', async (_name, c, i) => {
    const errors = await wasmVsCpu(convInputs(c, 100 + i), ({ x, filter, dy }) => {
      const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad);
      return [conv(x, filter), ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), dy)))([x, filter])];
    });
    for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
  });

  it.each([
    { batch: 3, size: [7, 9], channels: [8, 8], kernel: 3, stride: 1, pad: 'same' },
    { batch: 1, size: [10, 7], channels: [12, 16], kernel: 3, stride: 1, pad: 'valid' },
    { batch: 2, size: [9, 9], channels: [32, 24], kernel: 3, stride: 1, pad: 'valid' },
  ] as ConvCase[])('3x3 stride-1 layers with many channels (Winograd): %o', async (c) => {
    const errors = await wasmVsCpu(convInputs(c, 8), ({ x, filter, dy }) => {
      const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, c.pad);
      return [conv(x, filter), ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), dy)))([x, filter])];
    });
    for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
  });

  it.each([
    ['1x1 with padding 1 (more than the filter needs)', 1, 1, 1],
    ['3x3 stride 2 with padding 2', 3, 2, 2],
    ['3x3 with asymmetric explicit padding', 3, 1, [[0, 0], [2, 0], [0, 1], [0, 0]]],
    ['3x3 stride 2 with asymmetric explicit padding', 3, 2, [[0, 0], [0, 2], [1, 0], [0, 0]]],
  ] as const)('numeric and explicit padding: %s', async (_name, kernel, stride, pad) => {
    const inputs = randomInputs(9, { x: [2, 7, 6, 8], filter: [kernel, kernel, 8, 8] });
    const $pad = pad as number | tf.backend_util.ExplicitPadding;
    const errors = await wasmVsCpu(inputs, ({ x, filter }) => {
      const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, $pad, 'NHWC', 1, 'floor');
      return [conv(x, filter), ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(conv(a, b))))([x, filter])];
    });
    for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
  });

  it('a realistic layer (16x16, 16 -> 32 channels)', async () => {
    const c: ConvCase = { batch: 2, size: [16, 16], channels: [16, 32], kernel: 3, stride: 1, pad: 'same' };
    const errors = await wasmVsCpu(convInputs(c, 6), ({ x, filter, dy }) =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), dy)))([x, filter]),
    );
    for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
  });

  it('strided input gradient of a larger layer', async () => {
    const c: ConvCase = { batch: 16, size: [32, 32], channels: [32, 8], kernel: 3, stride: 2, pad: 'same' };
    const errors = await wasmVsCpu(convInputs(c, 7), ({ x, filter, dy }) => [
      tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', inputShape: x.shape }) as tf.Tensor,
    ]);
    for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
  });
});

describe('fused conv + bias + activation', () => {
  const cases = convCases().filter((_, i) => i % 3 === 0);
  it.each(cases.flatMap((c, i) => (['relu', 'linear'] as const).map((activation) => [`${describeConv(c)}, ${activation}`, c, activation, i] as const)))(
    '%s: output and x, filter, bias gradients',
    async (_name, c, activation, i) => {
      const errors = await wasmVsCpu(convInputs(c, 200 + i, true), ({ x, filter, dy, bias }) => {
        const conv = (a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) =>
          tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, bias: d, strides: c.stride, pad: c.pad, activation });
        const { value, grads } = tf.valueAndGrads((a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(conv(a, b, d), dy)))([x, filter, bias]);
        return [conv(x, filter, bias), value, ...grads];
      });
      for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
    },
  );

  it('works without a bias and on a rank-3 input', async () => {
    const c: ConvCase = { batch: 1, size: [7, 6], channels: [3, 8], kernel: 3, stride: 1, pad: 'same' };
    const errors = await wasmVsCpu(convInputs(c, 5), ({ x, filter, dy }) => {
      const conv = (a: tf.Tensor, b: tf.Tensor) => tf.fused.conv2d({ x: tf.squeeze(a, [0]) as tf.Tensor3D, filter: b as tf.Tensor4D, strides: 1, pad: 'same', activation: 'relu' });
      return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), tf.squeeze(dy, [0]))))([x, filter]);
    });
    for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
  });
});

describe('pooling gradients', () => {
  const poolCases = [
    { filter: 2, stride: 2, pad: 'valid', shape: [2, 8, 8, 8] },
    { filter: 2, stride: 2, pad: 'valid', shape: [1, 7, 9, 4] },
    { filter: 2, stride: 2, pad: 'valid', shape: [3, 6, 6, 3] },
    { filter: 2, stride: 2, pad: 'same', shape: [2, 7, 5, 4] },
    { filter: 3, stride: 2, pad: 'same', shape: [2, 9, 8, 5] },
    { filter: 3, stride: 1, pad: 'same', shape: [1, 6, 7, 4] },
    { filter: 3, stride: 3, pad: 'valid', shape: [2, 9, 10, 8] },
  ] as const;
  const name = (p: (typeof poolCases)[number]) => `${p.shape.join('x')}, ${p.filter}x${p.filter} stride ${p.stride} ${p.pad}`;
  const dyShape = (p: (typeof poolCases)[number]) =>
    tf.backend_util.computePool2DInfo(p.shape as unknown as [number, number, number, number], p.filter, p.stride, 1, p.pad).outShape;

  it.each(poolCases.map((p, i) => [name(p), p, i] as const))('max pool %s: output and gradient', async (_name, p, i) => {
    const inputs = randomInputs(300 + i, { x: [...p.shape], dy: dyShape(p) });
    const errors = await wasmVsCpu(inputs, ({ x, dy }) => [
      tf.maxPool(x as tf.Tensor4D, p.filter, p.stride, p.pad),
      tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, p.filter, p.stride, p.pad), dy)))(x),
      // After a ReLU most windows hold ties at 0: the gradient must go to the first maximum, as on cpu.
      tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(tf.relu(tf.sub(a, 1)) as tf.Tensor4D, p.filter, p.stride, p.pad), dy)))(x),
    ]);
    for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
  });

  it.each(poolCases.map((p, i) => [name(p), p, i] as const))('average pool %s', async (_name, p, i) => {
    const inputs = randomInputs(400 + i, { x: [...p.shape], dy: dyShape(p) });
    const [error] = await wasmVsCpu(inputs, ({ x, dy }) =>
      tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(a as tf.Tensor4D, p.filter, p.stride, p.pad), dy)))(x),
    );
    expect(error).toBeLessThan(TOLERANCE);
  });
});

describe('reductions, products and element-wise kernels', () => {
  it('sums and means over leading axes (and falls back for the others)', async () => {
    const inputs = randomInputs(500, { x: [3, 5, 7, 6], big: [64, 33, 9] });
    const errors = await wasmVsCpu(inputs, ({ x, big }) => [
      tf.sum(x, [0, 1, 2]),
      tf.sum(x, [0]),
      tf.sum(x, [1, 0], true),
      tf.mean(x, [0, 1, 2]),
      tf.mean(x, [0, 1], true),
      tf.sum(big, [0, 1]),
      tf.sum(x, [1, 2]),
      tf.mean(x, [3]),
      tf.sum(x),
    ]);
    for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
  });

  it('keeps float32 accuracy when summing long columns', async () => {
    const inputs = randomInputs(501, { x: [200_000, 3] });
    const [error] = await wasmVsCpu(inputs, ({ x }) => tf.sum(tf.add(x, 100), [0]));
    expect(error).toBeLessThan(1e-6);
  });

  it('multiplies with transposed operands, plain and fused', async () => {
    const inputs = randomInputs(502, { a: [6, 9], b: [9, 5], at: [9, 6], bt: [5, 9], bias: [5] });
    const errors = await wasmVsCpu(inputs, ({ a, b, at, bt, bias }) => [
      tf.matMul(a, b),
      tf.matMul(at, b, true, false),
      tf.matMul(a, bt, false, true),
      tf.matMul(at, bt, true, true),
      tf.fused.matMul({ a: at as tf.Tensor2D, b: bt as tf.Tensor2D, transposeA: true, transposeB: true, bias, activation: 'relu' }),
      ...tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, bias }))))([a, b]),
    ]);
    for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
  });

  it('computes the ReLU gradient in one kernel', async () => {
    const inputs = randomInputs(503, { x: [2, 5, 5, 7], dy: [2, 5, 5, 7] });
    const [error] = await wasmVsCpu(inputs, ({ x, dy }) => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.relu(a), dy)))(x));
    expect(error).toBeLessThan(TOLERANCE);
  });

  it('shares the buffer on identity and same-type cast, and disposing one keeps the other', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor([1, 2, 3]);
    const copy = tf.clone(x);
    const cast = tf.cast(x, 'float32');
    copy.dispose();
    cast.dispose();
    expect(Array.from(x.dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(tf.cast(x, 'int32').dataSync())).toEqual([1, 2, 3]);
    x.dispose();
  });
});

describe('batch normalisation in training mode', () => {
  /** tfjs-core as tfjs-layers sees it (the engine replaces moments and batchNorm there). */
  const core = createRequire(import.meta.url)('@tensorflow/tfjs-core') as typeof tf;

  /** What a tfjs-layers batch-normalisation layer computes in training. */
  function normaliseInTraining(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
    const { mean, variance } = core.moments(x, [...Array(x.rank - 1).keys()]);
    const normalise = (x.rank === 4 ? core.batchNorm4d : x.rank === 3 ? core.batchNorm3d : core.batchNorm2d) as typeof core.batchNorm;
    return normalise(x, mean, variance, beta as tf.Tensor1D, gamma as tf.Tensor1D, 1e-3);
  }

  it.each([
    ['4-d, small channels', [3, 5, 6, 3], 0],
    ['4-d, 16 channels', [2, 7, 7, 16], 0],
    ['3-d', [3, 7, 5], 0],
    ['2-d (after a dense layer)', [9, 10], 0],
    ['mean far from zero against the spread', [4, 6, 6, 8], 100],
  ] as const)('output and x, gamma, beta gradients, %s', async (_name, shape, shift) => {
    const channels = shape[shape.length - 1];
    const inputs = randomInputs(600 + shape.length + shift, { x: [...shape], dy: [...shape], gamma: [channels], beta: [channels] });
    const errors = await wasmVsCpu(inputs, ({ x, dy, gamma, beta }) => {
      const shifted = tf.add(x, shift);
      const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(normaliseInTraining(a, g, b), dy));
      return [normaliseInTraining(shifted, gamma, beta), ...tf.grads(f)([shifted, gamma, beta])];
    });
    for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
  });

  it('is what a tfjs-layers batch-normalisation layer runs on wasm', async () => {
    await tf.setBackend('wasm');
    const layer = tfl.layers.batchNormalization();
    const x = tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 1);
    const usage = await profileKernels(() => tf.tidy(() => tf.grad((input: tf.Tensor) => tf.sum(layer.apply(input, { training: true }) as tf.Tensor))(x)));
    expect(usage.kernels.map((k) => k.kernelName)).toEqual(expect.arrayContaining(['GramlensBatchNormTraining', 'GramlensBatchNormTrainingGrad']));
    tf.dispose([x, usage.result]);
    layer.dispose();
  });

  it('moments has its own gradient when the statistics feed the loss', async () => {
    const inputs = randomInputs(610, { x: [2, 4, 5, 6], a: [6], b: [6] });
    const errors = await wasmVsCpu(inputs, ({ x, a, b }) => {
      const f = (input: tf.Tensor) => {
        const { mean, variance } = core.moments(input, [0, 1, 2]);
        return tf.add(tf.sum(tf.mul(mean, a)), tf.sum(tf.mul(variance, b)));
      };
      const { mean, variance } = core.moments(x, [0, 1, 2]);
      return [mean, variance, tf.grad(f)(x)];
    });
    for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
  });

  it('normalises with given statistics (inference) as TF.js does', async () => {
    const inputs = randomInputs(611, { x: [2, 3, 3, 4], mean: [4], variance: [4], offset: [4], scale: [4] });
    const [error] = await wasmVsCpu(inputs, ({ x, mean, variance, offset, scale }) => core.batchNorm4d(x as tf.Tensor4D, mean as tf.Tensor1D, tf.abs(variance) as tf.Tensor1D, offset as tf.Tensor1D, scale as tf.Tensor1D, 1e-3));
    expect(error).toBeLessThan(TOLERANCE);
  });
});
