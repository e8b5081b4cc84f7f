import * as tf from '@tensorflow/tfjs-core';
import { heapOffset } from '../wasm-heap.ts';
import { offsetsOf, requireFloat32, sizeOf, type KernelContext, type WasmKernelFunc } from './context.ts';
import { fusedKernelsActive } from './relu.ts';

/** Kernel: dy where x lies in [min, max] (in (min, max] with `minExclusive`), else 0. */
export const RANGE_GRAD = 'GramlensRangeGrad';

interface RangeGradAttrs {
  min: number;
  max: number;
  minExclusive: boolean;
}

export function rangeGrad(context: KernelContext): WasmKernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, x } = inputs;
    requireFloat32(RANGE_GRAD, dy, x);
    const { min, max, minExclusive } = attrs as unknown as RangeGradAttrs;
    const [dyAt, xAt] = offsetsOf(backend, dy, x);
    const dx = backend.makeOutput([...dy.shape], 'float32');
    context.simd.rangeGrad(dyAt, xAt, sizeOf(dy.shape), min, max, minExclusive, heapOffset(backend, dx));
    return dx;
  };
}

function rangeGradient(dy: tf.Tensor, x: tf.Tensor, attrs: RangeGradAttrs): tf.Tensor {
  return tf.engine().runKernel(RANGE_GRAD, { dy, x }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/**
 * The clipping gradient (of a tfjs-layers ReLU with maxValue, i.e. Keras's ReLU6) in one pass on wasm,
 * instead of five kernels and three boolean tensors; TF.js's formula elsewhere.
 */
export const clipByValueGradConfig: tf.GradConfig = {
  kernelName: tf.ClipByValue,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const { clipValueMin, clipValueMax } = attrs as unknown as tf.ClipByValueAttrs;
    if (fusedKernelsActive() && x.dtype === 'float32') {
      return { x: () => rangeGradient(dy as tf.Tensor, x, { min: clipValueMin, max: clipValueMax, minExclusive: false }) };
    }
    return { x: () => tf.where(tf.logicalAnd(tf.greaterEqual(x, clipValueMin), tf.lessEqual(x, clipValueMax)), dy as tf.Tensor, tf.zerosLike(dy as tf.Tensor)) };
  },
};

/** The Relu6 gradient (x in (0, 6]) in one pass on wasm; TF.js's formula elsewhere. */
export const relu6GradConfig: tf.GradConfig = {
  kernelName: tf.Relu6,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved;
    if (fusedKernelsActive() && x.dtype === 'float32') {
      return { x: () => rangeGradient(dy as tf.Tensor, x, { min: 0, max: 6, minExclusive: true }) };
    }
    return { x: () => tf.mul(dy as tf.Tensor, tf.cast(tf.mul(tf.lessEqual(x, 6), tf.step(x)), 'float32')) };
  },
};
