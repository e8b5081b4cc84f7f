import type * as tf from '@tensorflow/tfjs-core';
import { heapOffset, type WasmBackend } from '../wasm-heap.ts';
import { offsetsOf, runStock, sizeOf, type KernelContext, type WasmKernelFunc } from './context.ts';

/** A matrix (or a batch of one) transposed into a new tensor [cols, rows]. */
function transposedCopy(context: KernelContext, backend: WasmBackend, m: tf.TensorInfo): tf.TensorInfo {
  const rows = m.shape[m.shape.length - 2];
  const cols = m.shape[m.shape.length - 1];
  const [at] = offsetsOf(backend, m);
  const out = backend.makeOutput([...m.shape.slice(0, -2), cols, rows], 'float32');
  context.simd.transpose2d(at, rows, cols, heapOffset(backend, out));
  return out;
}

/**
 * MatMul with a transposed operand: the stock wasm kernel then falls back to a naive loop (~3 GFLOP/s),
 * so the operand is transposed explicitly (one cheap SIMD pass) and the plain XNNPACK GEMM used.
 * Batched products (batch > 1) go to the stock kernel.
 */
function transposingMatMul(context: KernelContext, kernelName: 'BatchMatMul' | '_FusedMatMul'): WasmKernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { a, b } = inputs;
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    const isSingle = (t: tf.TensorInfo) => sizeOf(t.shape.slice(0, -2)) === 1;
    const plain = a.dtype === 'float32' && b.dtype === 'float32' && isSingle(a) && isSingle(b);
    if (!(transposeA || transposeB) || !plain) return runStock(context, kernelName, backend, inputs, attrs);
    const owned: tf.TensorInfo[] = [];
    const operand = (t: tf.TensorInfo, transpose: boolean) => {
      if (!transpose) return t;
      const copy = transposedCopy(context, backend, t);
      owned.push(copy);
      return copy;
    };
    try {
      const $a = operand(a, transposeA);
      const $b = operand(b, transposeB);
      return runStock(context, kernelName, backend, { ...inputs, a: $a, b: $b }, {
        ...attrs,
        transposeA: false,
        transposeB: false,
      });
    } finally {
      for (const t of owned) backend.disposeData(t.dataId);
    }
  };
}

export function batchMatMul(context: KernelContext): WasmKernelFunc {
  return transposingMatMul(context, 'BatchMatMul');
}

export function fusedMatMul(context: KernelContext): WasmKernelFunc {
  return transposingMatMul(context, '_FusedMatMul');
}
