import * as tf from '@tensorflow/tfjs-core';

export interface KernelTiming {
  kernelName: string;
  calls: number;
  totalMs: number;
}

/**
 * Runs `body` with every kernel of the active backend wrapped in a wall-clock timer (kernels run
 * synchronously on wasm and cpu) and returns the time per kernel, slowest first.
 */
export async function profileKernels<T>(body: () => Promise<T> | T): Promise<{ result: T; kernels: KernelTiming[] }> {
  const timings = new Map<string, KernelTiming>();
  const restore: Array<() => void> = [];
  for (const config of tf.getKernelsForBackend(tf.getBackend())) {
    const original = config.kernelFunc;
    const timing: KernelTiming = { kernelName: config.kernelName, calls: 0, totalMs: 0 };
    timings.set(config.kernelName, timing);
    (config as { kernelFunc: tf.KernelFunc }).kernelFunc = (args) => {
      const start = performance.now();
      try {
        return original(args);
      } finally {
        timing.calls++;
        timing.totalMs += performance.now() - start;
      }
    };
    restore.push(() => {
      (config as { kernelFunc: tf.KernelFunc }).kernelFunc = original;
    });
  }
  try {
    const result = await body();
    const kernels = [...timings.values()].filter((t) => t.calls > 0).sort((a, b) => b.totalMs - a.totalMs);
    return { result, kernels };
  } finally {
    for (const undo of restore) undo();
  }
}
