import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { performance } from 'node:perf_hooks';
import { camFromFeatures, explain, gapDenseKernel, hasGapDenseHead, resolveTargetLayer, type CamMethod } from '../../src/explain/index.ts';
import { createRng } from '../../src/util/index.ts';

export interface ExplainCost {
  backend: string;
  /** Median milliseconds for one image. */
  predictMs: number;
  /** One forward pass exposing the features, then the closed-form CAM (GAP + dense models only, else null). */
  fastCamMs: number | null;
  /** explain(): forward, backward and the map. */
  gradientCamMs: number;
  /** fastCamMs / predictMs and gradientCamMs / predictMs. */
  fastRatio: number | null;
  gradientRatio: number;
}

export interface ExplainCostOptions {
  repeats?: number;
  warmup?: number;
  seed?: number;
  method?: CamMethod;
}

function medianMs(run: () => void, warmup: number, repeats: number): number {
  for (let i = 0; i < warmup; i++) run();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const middle = Math.floor(times.length / 2);
  return times.length % 2 === 1 ? times[middle] : (times[middle - 1] + times[middle]) / 2;
}

/** Times explaining one image against predicting it, on the current backend, with a seeded random input of the model's shape. */
export function measureExplainCost(model: tfl.LayersModel, options: ExplainCostOptions = {}): ExplainCost {
  const { repeats = 5, warmup = 1, seed = 1, method = 'gradcam' } = options;
  if (!(Number.isInteger(repeats) && repeats >= 1)) throw new Error(`repeats must be a positive integer, got ${repeats}`);
  const shape = model.inputs[0].shape.slice(1) as number[];
  const rng = createRng(seed);
  const image = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
  const input = tf.tensor4d(image, [1, ...shape] as [number, number, number, number]);
  try {
    const predictMs = medianMs(() => tf.tidy(() => (model.predict(input) as tf.Tensor).dataSync()), warmup, repeats);
    const gradientCamMs = medianMs(() => explain(model, input, { method }), warmup, repeats);

    let fastCamMs: number | null = null;
    if (hasGapDenseHead(model)) {
      const denseKernel = gapDenseKernel(model);
      const features = resolveTargetLayer(model).output;
      // Shares the layers (and weights) of `model`: not to be disposed.
      const withFeatures = tfl.model({ inputs: model.inputs, outputs: [features, model.outputs[0]] });
      const [, height, width, channels] = features.shape as number[];
      fastCamMs = medianMs(
        () =>
          tf.tidy(() => {
            const [featureTensor, probabilityTensor] = withFeatures.predict(input) as tf.Tensor[];
            const probabilities = probabilityTensor.dataSync() as Float32Array;
            const predicted = probabilities.indexOf(Math.max(...probabilities));
            camFromFeatures({ data: featureTensor.dataSync() as Float32Array, height, width, channels }, denseKernel, predicted);
          }),
        warmup,
        repeats,
      );
    }
    return {
      backend: tf.getBackend(),
      predictMs,
      fastCamMs,
      gradientCamMs,
      fastRatio: fastCamMs === null ? null : fastCamMs / predictMs,
      gradientRatio: gradientCamMs / predictMs,
    };
  } finally {
    input.dispose();
  }
}
