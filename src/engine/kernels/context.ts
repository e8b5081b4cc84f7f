import * as tf from '@tensorflow/tfjs-core';
import type { SimdKernels } from '../simd.ts';
import { heapOffset, type WasmBackend } from '../wasm-heap.ts';

export const WASM = 'wasm';

/** What every training kernel needs: the SIMD module and the stock wasm kernels it builds on or replaces. */
export interface KernelContext {
  simd: SimdKernels;
  /** The stock wasm kernel of that name, as registered before ours. */
  stock(kernelName: string): tf.KernelFunc;
}

/** Kernel inputs are all present: TF.js passes only the inputs the op was given. */
export type WasmKernelFunc = (args: { inputs: Record<string, tf.TensorInfo>; backend: WasmBackend; attrs: Record<string, unknown> }) => tf.TensorInfo | tf.TensorInfo[];

export function createKernelContext(simd: SimdKernels): KernelContext {
  const stockKernels = new Map<string, tf.KernelFunc>();
  return {
    simd,
    stock(kernelName) {
      let kernel = stockKernels.get(kernelName);
      if (!kernel) {
        const config = tf.getKernel(kernelName, WASM);
        if (!config) throw new Error(`the wasm backend has no '${kernelName}' kernel`);
        kernel = config.kernelFunc;
        stockKernels.set(kernelName, kernel);
      }
      return kernel;
    },
  };
}

export function runStock(
  context: KernelContext, kernelName: string, backend: WasmBackend, inputs: tf.NamedTensorInfoMap, attrs: object = {},
): tf.TensorInfo {
  return context.stock(kernelName)({ inputs, backend: backend as unknown as tf.KernelBackend, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
}

/** The same data seen with another shape (no copy; the caller must not dispose it separately). */
export function withShape(tensor: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: tensor.dataId, shape, dtype: tensor.dtype };
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Heap offsets of all the tensors, resolved before any allocation so no input moves afterwards. */
export function offsetsOf(backend: WasmBackend, ...tensors: tf.TensorInfo[]): number[] {
  return tensors.map((t) => heapOffset(backend, t));
}

export function requireFloat32(kernelName: string, ...tensors: tf.TensorInfo[]): void {
  for (const t of tensors) {
    if (t.dtype !== 'float32') throw new Error(`${kernelName} on wasm supports float32 tensors only, got ${t.dtype}`);
  }
}
