import type * as tf from '@tensorflow/tfjs-core';

/** The parts of TF.js's wasm backend (BackendWasm) the training kernels use; not in its public types. */
export interface WasmBackend {
  wasm: {
    HEAPU8: Uint8Array;
    asm: { memory: WebAssembly.Memory };
  };
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object): boolean;
  incRef(dataId: object): void;
}

export function asWasmBackend(backend: unknown): WasmBackend {
  return backend as WasmBackend;
}

/**
 * Byte offset of a tensor in the wasm heap. Reading a tensor that lives on another backend moves it
 * here, which can grow the heap and detach typed-array views: resolve every input before taking views.
 */
export function heapOffset(backend: WasmBackend, tensor: tf.TensorInfo): number {
  return backend.dataIdMap.get(tensor.dataId).memoryOffset;
}

export function float32View(backend: WasmBackend, tensor: tf.TensorInfo): Float32Array {
  const size = tensor.shape.reduce((a, b) => a * b, 1);
  return new Float32Array(backend.wasm.HEAPU8.buffer, heapOffset(backend, tensor), size);
}

/** Runs `body` with float32 scratch buffers of the given sizes on the wasm heap and frees them after. */
export function withScratch<T>(backend: WasmBackend, sizes: number[], body: (buffers: tf.TensorInfo[]) => T): T {
  const buffers = sizes.map((size) => backend.makeOutput([Math.max(size, 1)], 'float32'));
  try {
    return body(buffers);
  } finally {
    for (const buffer of buffers) backend.disposeData(buffer.dataId);
  }
}

