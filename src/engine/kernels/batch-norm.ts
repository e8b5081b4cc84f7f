import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, withScratch } from '../wasm-heap.ts';
import { offsetsOf, requireFloat32, sizeOf, type KernelContext, type WasmKernelFunc } from './context.ts';
import { fusedKernelsActive } from './relu.ts';

/** Kernel: mean and variance over all axes but the last (the batch statistics of a layer). */
export const MOMENTS = 'GramlensMoments';
/** Kernel: batch normalisation with the batch's own statistics; outputs [y, mean, invStd]. */
export const BATCH_NORM_TRAINING = 'GramlensBatchNormTraining';
/** Kernel: its gradient, statistics included; outputs [dx, dScale, dOffset]. */
export const BATCH_NORM_TRAINING_GRAD = 'GramlensBatchNormTrainingGrad';

export interface BatchNormTrainingAttrs {
  varianceEpsilon: number;
}

const channelsOf = (x: tf.TensorInfo) => x.shape[x.shape.length - 1];

export function moments(context: KernelContext): WasmKernelFunc {
  return ({ inputs, backend }) => {
    const { x } = inputs;
    requireFloat32(MOMENTS, x);
    const channels = channelsOf(x);
    const [xAt] = offsetsOf(backend, x);
    const mean = backend.makeOutput([channels], 'float32');
    const variance = backend.makeOutput([channels], 'float32');
    withScratch(backend, [6 * channels], ([scratch]) =>
      context.simd.moments(xAt, sizeOf(x.shape) / channels, channels, heapOffset(backend, mean), heapOffset(backend, variance), heapOffset(backend, scratch)),
    );
    return [mean, variance];
  };
}

export function batchNormTraining(context: KernelContext): WasmKernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, scale, offset } = inputs;
    requireFloat32(BATCH_NORM_TRAINING, x, scale, offset);
    const { varianceEpsilon } = attrs as unknown as BatchNormTrainingAttrs;
    const channels = channelsOf(x);
    const [xAt, scaleAt, offsetAt] = offsetsOf(backend, x, scale, offset);
    const y = backend.makeOutput([...x.shape], 'float32');
    const mean = backend.makeOutput([channels], 'float32');
    const invStd = backend.makeOutput([channels], 'float32');
    withScratch(backend, [6 * channels], ([scratch]) =>
      context.simd.batchNormTraining(
        xAt, sizeOf(x.shape) / channels, channels, scaleAt, offsetAt, varianceEpsilon,
        heapOffset(backend, y), heapOffset(backend, mean), heapOffset(backend, invStd), heapOffset(backend, scratch),
      ),
    );
    return [y, mean, invStd];
  };
}

export function batchNormTrainingGrad(context: KernelContext): WasmKernelFunc {
  return ({ inputs, backend }) => {
    const { dy, x, scale, mean, invStd } = inputs;
    requireFloat32(BATCH_NORM_TRAINING_GRAD, dy, x, scale, mean, invStd);
    const channels = channelsOf(x);
    const [dyAt, xAt, scaleAt, meanAt, invStdAt] = offsetsOf(backend, dy, x, scale, mean, invStd);
    const dx = backend.makeOutput([...x.shape], 'float32');
    const dScale = backend.makeOutput([channels], 'float32');
    const dOffset = backend.makeOutput([channels], 'float32');
    withScratch(backend, [8 * channels], ([scratch]) =>
      context.simd.batchNormTrainingGrad(
        dyAt, xAt, sizeOf(x.shape) / channels, channels, scaleAt, meanAt, invStdAt,
        heapOffset(backend, dx), heapOffset(backend, dScale), heapOffset(backend, dOffset), heapOffset(backend, scratch),
      ),
    );
    return [dx, dScale, dOffset];
  };
}

export const momentsGradConfig: tf.GradConfig = {
  kernelName: MOMENTS,
  inputsToSave: ['x'],
  outputsToSave: [true, false],
  gradFunc: (dys, saved) => {
    const [dMean, dVariance] = dys as tf.Tensor[];
    const [x, mean] = saved;
    const count = x.size / channelsOf(x);
    return { x: () => tf.add(tf.div(dMean, count), tf.mul(tf.sub(x, mean), tf.mul(dVariance, 2 / count))) };
  },
};

export const batchNormTrainingGradConfig: tf.GradConfig = {
  kernelName: BATCH_NORM_TRAINING,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [false, true, true],
  // mean and invStd are internal outputs (never handed out), so only dy of y matters.
  gradFunc: (dys, saved) => {
    const [dy] = dys as tf.Tensor[];
    const [x, scale, mean, invStd] = saved;
    const [dx, dScale, dOffset] = tf.engine().runKernel(BATCH_NORM_TRAINING_GRAD, { dy, x, scale, mean, invStd }) as tf.Tensor[];
    return { x: () => dx, scale: () => dScale, offset: () => dOffset };
  },
};

/** Statistics that the patched moments computed, by their mean tensor: batchNorm recognises them. */
const batchStatistics = new WeakMap<tf.Tensor, { x: tf.Tensor; variance: tf.Tensor }>();

function reducesAllButLast(x: tf.Tensor, axis: number | number[] | undefined): boolean {
  const axes = tf.util.parseAxisParam(axis ?? [...Array(x.rank).keys()], x.shape).sort((a, b) => a - b);
  return axes.length === x.rank - 1 && axes.every((a, i) => a === i);
}

/** Replacement for tf.moments: one SIMD pass on wasm for per-channel statistics (the batch-norm case). */
export function createMoments(original: typeof tf.moments): typeof tf.moments {
  return ((x: tf.Tensor, axis?: number | number[], keepDims = false) => {
    const fused = fusedKernelsActive() && x instanceof tf.Tensor && x.dtype === 'float32' && x.rank >= 2 && x.size > 0 && !keepDims && reducesAllButLast(x, axis);
    if (!fused) return original(x, axis, keepDims);
    const [mean, variance] = tf.engine().runKernel(MOMENTS, { x }) as tf.Tensor[];
    batchStatistics.set(mean, { x, variance });
    return { mean, variance };
  }) as typeof tf.moments;
}

type BatchNormOp = (
  x: tf.Tensor, mean: tf.Tensor | tf.Tensor1D, variance: tf.Tensor | tf.Tensor1D, offset?: tf.Tensor | tf.Tensor1D, scale?: tf.Tensor | tf.Tensor1D, varianceEpsilon?: number,
) => tf.Tensor;

/**
 * Replacement for tf.batchNorm{,2d,3d,4d}: when mean and variance are moments of x itself (a
 * batch-norm layer in training), one kernel normalises and its gradient covers the statistics too,
 * instead of TF.js's dozen full-size ops (and a Tile) in the backward pass.
 */
export function createBatchNorm<T extends BatchNormOp>(original: T): T {
  return ((x, mean, variance, offset, scale, varianceEpsilon = 0.001) => {
    const statistics = mean instanceof tf.Tensor ? batchStatistics.get(mean) : undefined;
    if (!fusedKernelsActive() || statistics?.x !== x || statistics.variance !== variance) return original(x, mean, variance, offset, scale, varianceEpsilon);
    const channels = x.shape[x.rank - 1];
    const isVector = (t: unknown): t is tf.Tensor1D => t instanceof tf.Tensor && t.rank === 1 && t.shape[0] === channels && t.dtype === 'float32';
    if (!isVector(offset) || !isVector(scale)) return original(x, mean, variance, offset, scale, varianceEpsilon);
    const [y, batchMean, invStd] = tf.engine().runKernel(BATCH_NORM_TRAINING, { x, scale, offset }, { varianceEpsilon }) as tf.Tensor[];
    tf.dispose([batchMean, invStd]);
    return y;
  }) as T;
}
