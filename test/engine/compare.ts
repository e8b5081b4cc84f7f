import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '../../src/util/index.ts';

export type Inputs = Record<string, { shape: number[]; values: Float32Array }>;

/** Seeded normal values for each named shape. */
export function randomInputs(seed: number, shapes: Record<string, number[]>): Inputs {
  const rng = createRng(seed);
  const inputs: Inputs = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) values[i] = rng.normal();
    inputs[name] = { shape, values };
  }
  return inputs;
}

/** Runs `compute` on the given backend with the inputs as tensors there; returns every output's values. */
export async function runOn(backend: string, inputs: Inputs, compute: (t: Record<string, tf.Tensor>) => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const tensors = Object.fromEntries(Object.entries(inputs).map(([name, { shape, values }]) => [name, tf.tensor(values, shape)]));
    const out = compute(tensors);
    return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
  });
}

/** max |a - b| / max |b|: the error relative to the scale of the reference. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Relative errors of each output of `compute` on wasm against the cpu backend. */
export async function wasmVsCpu(inputs: Inputs, compute: (t: Record<string, tf.Tensor>) => tf.Tensor | tf.Tensor[]): Promise<number[]> {
  const wasm = await runOn('wasm', inputs, compute);
  const cpu = await runOn('cpu', inputs, compute);
  await tf.setBackend('wasm');
  if (wasm.length !== cpu.length) throw new Error(`wasm gave ${wasm.length} outputs, cpu ${cpu.length}`);
  return wasm.map((values, i) => relativeError(values, cpu[i]));
}
