import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { createRng } from '../../src/util/index.ts';

export interface ThroughputOptions {
  batch: number;
  /** Timed optimizer steps (after the warm-up steps). */
  steps: number;
  /** [height, width, channels] of one image. */
  inputShape: [number, number, number];
  /** Defaults to the model's output width. */
  numClasses?: number;
  /** Untimed steps first (kernel set-up, heap growth); default 2. */
  warmupSteps?: number;
  optimizer?: 'adam' | 'sgd';
  seed?: number;
}

/**
 * Training throughput in images per second on the current backend: `model.trainOnBatch` with
 * categorical cross-entropy on one fixed random batch (like the PyTorch reference benchmark).
 */
export async function measureTrainThroughput(modelFactory: () => tfl.LayersModel, options: ThroughputOptions): Promise<number> {
  const { batch, steps, inputShape, warmupSteps = 2, optimizer = 'adam', seed = 0 } = options;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch must be a positive integer, got ${batch}`);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be a positive integer, got ${steps}`);
  const model = modelFactory();
  const numClasses = options.numClasses ?? (model.outputs[0].shape[1] as number);
  const rng = createRng(seed);
  const pixels = new Float32Array(batch * inputShape[0] * inputShape[1] * inputShape[2]).map(() => rng.normal());
  const labels = Int32Array.from({ length: batch }, () => rng.int(numClasses));
  const xs = tf.tensor4d(pixels, [batch, ...inputShape]);
  const ys = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses));
  model.compile({ optimizer: optimizer === 'adam' ? tf.train.adam(1e-3) : tf.train.sgd(1e-2), loss: 'categoricalCrossentropy' });
  try {
    for (let i = 0; i < warmupSteps; i++) await model.trainOnBatch(xs, ys);
    const start = performance.now();
    for (let i = 0; i < steps; i++) await model.trainOnBatch(xs, ys);
    return (batch * steps * 1000) / (performance.now() - start);
  } finally {
    model.optimizer.dispose();
    model.dispose();
    tf.dispose([xs, ys]);
  }
}
