import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, withScratch } from '../wasm-heap.ts';
import { offsetsOf, requireFloat32, sizeOf, type KernelContext, type WasmKernelFunc } from './context.ts';

/**
 * Kernel: dy masked where the ReLU was inactive (`activation` is the ReLU's input or its output: both
 * are > 0 at the same places). With attr `biasGradient`, also the sums of the result over all axes
 * but the last, the gradient of a bias added before the ReLU, from the same pass.
 */
export const RELU_GRAD = 'GramlensReluGrad';

export interface ReluGradAttrs {
  biasGradient: boolean;
}

export function reluGrad(context: KernelContext): WasmKernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, activation } = inputs;
    requireFloat32(RELU_GRAD, dy, activation);
    const { biasGradient } = attrs as unknown as ReluGradAttrs;
    const cols = dy.shape[dy.shape.length - 1] ?? 1;
    const rows = sizeOf(dy.shape) / cols;
    const [dyAt, activationAt] = offsetsOf(backend, dy, activation);
    const dx = backend.makeOutput([...dy.shape], 'float32');
    if (!biasGradient) {
      context.simd.reluGrad(dyAt, activationAt, rows, cols, heapOffset(backend, dx), 0, 0);
      return dx;
    }
    const sums = backend.makeOutput([cols], 'float32');
    // Two float32 slots per float64 accumulator.
    withScratch(backend, [2 * cols], ([scratch]) =>
      context.simd.reluGrad(dyAt, activationAt, rows, cols, heapOffset(backend, dx), heapOffset(backend, sums), heapOffset(backend, scratch)),
    );
    return [dx, sums];
  };
}

/** True when the active backend has the fused training kernels (wasm after initEngine). */
export function fusedKernelsActive(): boolean {
  return tf.getKernel(RELU_GRAD, tf.getBackend()) !== undefined;
}

/** dy masked by the ReLU, with the fused kernel when the backend has it. */
export function reluGradient(dy: tf.Tensor, activation: tf.Tensor): tf.Tensor {
  if (fusedKernelsActive()) return tf.engine().runKernel(RELU_GRAD, { dy, activation }, { biasGradient: false }) as tf.Tensor;
  return tf.mul(dy, tf.cast(tf.step(activation), 'float32'));
}

/** dy masked by the ReLU and its sums over all axes but the last (the gradient of a bias before it). */
export function reluAndBiasGradient(dy: tf.Tensor, activation: tf.Tensor): [tf.Tensor, tf.Tensor] {
  if (fusedKernelsActive()) return tf.engine().runKernel(RELU_GRAD, { dy, activation }, { biasGradient: true }) as unknown as [tf.Tensor, tf.Tensor];
  const masked = reluGradient(dy, activation);
  return [masked, tf.sum(masked, [...Array(dy.rank - 1).keys()])];
}

/** The ReLU gradient in one pass on wasm instead of step, cast and multiply; unchanged elsewhere. */
export const reluGradConfig: tf.GradConfig = {
  kernelName: tf.Relu,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved;
    return { x: () => reluGradient(dy as tf.Tensor, x) };
  },
};
