import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../src/engine/index.ts';
import { profileKernels } from '../../bench/lib/kernel-profile.ts';
import { createRng } from '../../src/util/index.ts';
import { randomInputs, wasmVsCpu } from './compare.ts';

const TOLERANCE = 1e-4;

beforeAll(async () => {
  const info = await initEngine({ backend: 'wasm' });
  expect(info.trainingKernels).toBe(true);
});

type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

interface DepthwiseCase {
  batch: number;
  size: [number, number];
  channels: number;
  kernel: [number, number];
  stride: number;
  pad: Pad;
}

/**
 * Every stride × padding combination, four times with random batch, odd/even sizes and channel counts
 * that take every path of the kernels: blocks of 16, 4-channel vectors and scalar tails.
 */
function depthwiseCases(): DepthwiseCase[] {
  const rng = createRng(21);
  const cases: DepthwiseCase[] = [];
  for (const stride of [1, 2]) {
    for (const pad of ['same', 'valid'] as const) {
      for (let i = 0; i < 4; i++) {
        cases.push({
          batch: 1 + rng.int(3),
          size: [3 + rng.int(8), 3 + rng.int(8)],
          channels: rng.pick([1, 3, 4, 5, 8, 16, 19, 36]),
          kernel: [3, 3],
          stride,
          pad,
        });
      }
    }
  }
  return cases;
}

const describeCase = (c: DepthwiseCase) =>
  `${c.batch}x${c.size.join('x')}x${c.channels}, ${c.kernel.join('x')} stride ${c.stride} pad ${JSON.stringify(c.pad)}`;

function depthwiseInputs(c: DepthwiseCase, seed: number) {
  const [h, w] = c.size;
  const filter: [number, number, number, number] = [...c.kernel, c.channels, 1];
  const info = tf.backend_util.computeConv2DInfo([c.batch, h, w, c.channels], filter, c.stride, 1, c.pad, roundingOf(c.pad), true);
  return randomInputs(seed, { x: [c.batch, h, w, c.channels], filter, dy: info.outShape });
}

/** TF.js takes a rounding mode with numeric and explicit padding only. */
const roundingOf = (pad: Pad) => (typeof pad === 'string' ? undefined : 'floor');

/** Output, input gradient and filter gradient of the depthwise convolution. */
async function depthwiseErrors(c: DepthwiseCase, seed: number): Promise<number[]> {
  return wasmVsCpu(depthwiseInputs(c, seed), ({ x, filter, dy }) => {
    const conv = (a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad, 'NHWC', 1, roundingOf(c.pad));
    return [conv(x, filter), ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), dy)))([x, filter])];
  });
}

describe('depthwise convolution on wasm equals the cpu backend', () => {
  it.each(depthwiseCases().map((c, i) => [describeCase(c), c, i] as const))('%s: output, input and filter gradients', async (_name, c, i) => {
    const errors = await depthwiseErrors(c, 700 + i);
    expect(errors).toHaveLength(3);
    for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
  });

  it.each([
    ['5x5 stride 2 same', { batch: 2, size: [11, 9], channels: 20, kernel: [5, 5], stride: 2, pad: 'same' }],
    ['1x3 stride 1 same', { batch: 1, size: [6, 7], channels: 6, kernel: [1, 3], stride: 1, pad: 'same' }],
    ['3x3 stride 2 with padding 2', { batch: 2, size: [7, 8], channels: 17, kernel: [3, 3], stride: 2, pad: 2 }],
    ['3x3 stride 2 with asymmetric explicit padding', { batch: 1, size: [8, 7], channels: 9, kernel: [3, 3], stride: 2, pad: [[0, 0], [0, 2], [1, 0], [0, 0]] }],
    ['3x3 stride 1 on a 2x2 image', { batch: 2, size: [2, 2], channels: 5, kernel: [3, 3], stride: 1, pad: 'same' }],
    ['a MobileNetV2-like layer', { batch: 2, size: [14, 14], channels: 48, kernel: [3, 3], stride: 1, pad: 'same' }],
  ] as Array<[string, DepthwiseCase]>)('other shapes and paddings: %s', async (_name, c) => {
    for (const e of await depthwiseErrors(c, 790)) expect(e).toBeLessThan(TOLERANCE);
  });

  it('is what a tfjs-layers DepthwiseConv2D layer runs in training, forward and backward', async () => {
    await tf.setBackend('wasm');
    const layer = tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', useBias: false, depthwiseInitializer: tfl.initializers.glorotUniform({ seed: 1 }) });
    const x = tf.randomNormal([2, 6, 6, 5], 0, 1, 'float32', 2);
    const usage = await profileKernels(() => tf.tidy(() => tf.grad((input: tf.Tensor) => tf.sum(layer.apply(input) as tf.Tensor))(x)));
    const names = usage.kernels.map((k) => k.kernelName);
    expect(names).toEqual(expect.arrayContaining(['DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropInput']));
    expect(names).not.toContain('FusedDepthwiseConv2D');
    tf.dispose([x, usage.result]);
    layer.dispose();
  });

  it('runs a channel multiplier above 1 forward on the stock kernel, and refuses its gradient by name', async () => {
    const inputs = randomInputs(795, { x: [1, 5, 6, 3], filter: [3, 3, 3, 2] });
    const [error] = await wasmVsCpu(inputs, ({ x, filter }) => tf.depthwiseConv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, 'same'));
    expect(error).toBeLessThan(TOLERANCE);
    await tf.setBackend('wasm');
    const x = tf.tensor4d(inputs.x.values, [1, 5, 6, 3]);
    const filter = tf.tensor4d(inputs.filter.values, [3, 3, 3, 2]);
    expect(() => tf.grad((a: tf.Tensor) => tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, filter, 1, 'same')))(x)).toThrow(
      /DepthwiseConv2dNativeBackpropInput on wasm supports channel multiplier 1 and dilation 1 only, got channel multiplier 2/,
    );
    tf.dispose([x, filter]);
  });
});

describe('ReLU6 and zero padding on wasm equal the cpu backend', () => {
  /** Whole numbers from about -9 to 9: many inputs sit exactly on the clipping bounds 0 and 6. */
  const onTheBounds = (x: tf.Tensor) => tf.round(tf.mul(x, 3));

  it('a tfjs-layers ReLU with maxValue 6 (Keras ReLU6): output and gradient, bounds included', async () => {
    const layer = tfl.layers.reLU({ maxValue: 6 });
    const inputs = randomInputs(800, { x: [2, 5, 6, 7], dy: [2, 5, 6, 7] });
    const errors = await wasmVsCpu(inputs, ({ x, dy }) => {
      const f = (a: tf.Tensor) => tf.sum(tf.mul(layer.apply(a) as tf.Tensor, dy));
      return [layer.apply(onTheBounds(x)) as tf.Tensor, tf.grad(f)(onTheBounds(x)), tf.grad(f)(tf.mul(x, 4))];
    });
    for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
  });

  it('clipByValue with other bounds and the relu6 op', async () => {
    const inputs = randomInputs(801, { x: [3, 4, 5, 6], dy: [3, 4, 5, 6] });
    const errors = await wasmVsCpu(inputs, ({ x, dy }) => [
      tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.clipByValue(a, -1, 2), dy)))(onTheBounds(x)),
      tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.clipByValue(a, -0.5, 0.75), dy)))(x),
      tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.relu6(a), dy)))(onTheBounds(x)),
      tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.relu6(a), dy)))(tf.mul(x, 4)),
    ]);
    for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
  });

  it('ZeroPadding2D: output and gradient (a slice of the padded gradient)', async () => {
    const inputs = randomInputs(802, { x: [2, 5, 6, 7], dy: [2, 8, 7, 7] });
    const layer = tfl.layers.zeroPadding2d({ padding: [[1, 2], [0, 1]] });
    const errors = await wasmVsCpu(inputs, ({ x, dy }) => [
      layer.apply(x) as tf.Tensor,
      tf.grad((a: tf.Tensor) => tf.sum(tf.mul(layer.apply(a) as tf.Tensor, dy)))(x),
    ]);
    for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
  });

  it('other paddings, on the stock kernel', async () => {
    const inputs = randomInputs(804, { x: [2, 3, 4, 5] });
    const errors = await wasmVsCpu(inputs, ({ x }) => [
      tf.pad(x, [[1, 0], [0, 0], [0, 0], [0, 2]]),
      tf.pad(x, [[0, 0], [1, 1], [2, 0], [0, 0]], 1.5),
      tf.pad(tf.reshape(x, [6, 20]), [[1, 2], [0, 3]]),
    ]);
    for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
  });

  it('slices: crops of images, ranges of the batch, and the rest on the stock kernel', async () => {
    const inputs = randomInputs(803, { x: [4, 6, 7, 5], flat: [6, 9] });
    const errors = await wasmVsCpu(inputs, ({ x, flat }) => [
      tf.slice(x, [0, 1, 2, 0], [4, 4, 3, 5]),
      tf.slice(x, [1, 0, 0, 0], [2, -1, -1, -1]),
      tf.slice(x, [2, 5, 0, 0], [1, 1, 7, 5]),
      tf.slice(x, [0, 1, 1, 1], [3, 2, 2, 3]),
      tf.slice(flat, [1, 2], [3, 4]),
    ]);
    for (const e of errors) expect(e).toBeLessThan(TOLERANCE);
  });
});
