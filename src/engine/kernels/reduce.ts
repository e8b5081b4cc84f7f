import * as tf from '@tensorflow/tfjs-core';
import { float32View, heapOffset, withScratch, type WasmBackend } from '../wasm-heap.ts';
import { offsetsOf, runStock, sizeOf, type KernelContext, type WasmKernelFunc } from './context.ts';

/** Number of leading axes reduced when `axes` are exactly 0..k-1 with k < rank (e.g. a bias gradient), else 0. */
function leadingAxesCount(axes: number[], rank: number): number {
  const sorted = [...new Set(axes)].sort((a, b) => a - b);
  const isLeading = sorted.every((axis, i) => axis === i);
  return isLeading && sorted.length < rank ? sorted.length : 0;
}

/** Column sums of x seen as [rows, cols], scaled; the output shape follows keepDims. */
function sumLeadingAxes(context: KernelContext, backend: WasmBackend, x: tf.TensorInfo, leading: number, keepDims: boolean, scale: number): tf.TensorInfo {
  const rows = sizeOf(x.shape.slice(0, leading));
  const cols = sizeOf(x.shape.slice(leading));
  const outShape = keepDims ? x.shape.map((d, i) => (i < leading ? 1 : d)) : x.shape.slice(leading);
  const [xAt] = offsetsOf(backend, x);
  const out = backend.makeOutput(outShape, 'float32');
  const outAt = heapOffset(backend, out);
  // Two float32 slots per float64 accumulator.
  withScratch(backend, [2 * cols], ([scratch]) => context.simd.columnSums(xAt, rows, cols, outAt, heapOffset(backend, scratch)));
  if (scale !== 1) {
    const values = float32View(backend, out);
    for (let i = 0; i < cols; i++) values[i] *= scale;
  }
  return out;
}

function reduction(context: KernelContext, kernelName: 'Sum' | 'Mean'): WasmKernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs;
    const { axis, keepDims } = attrs as unknown as tf.SumAttrs;
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const leading = leadingAxesCount(axes, x.shape.length);
    if (x.dtype !== 'float32' || leading === 0 || sizeOf(x.shape) === 0) {
      return runStock(context, kernelName, backend, inputs, attrs);
    }
    const scale = kernelName === 'Mean' ? 1 / sizeOf(x.shape.slice(0, leading)) : 1;
    return sumLeadingAxes(context, backend, x, leading, keepDims, scale);
  };
}

/**
 * Sum and Mean over leading axes (bias and batch-norm gradients, batch statistics) as SIMD column
 * sums; the stock kernels transpose the input first. Other reductions go to the stock kernels.
 */
export function sum(context: KernelContext): WasmKernelFunc {
  return reduction(context, 'Sum');
}

export function mean(context: KernelContext): WasmKernelFunc {
  return reduction(context, 'Mean');
}
