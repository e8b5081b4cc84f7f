import type * as tfl from '@tensorflow/tfjs-layers';
import { viewOfBatch, type TtaView } from '../augment/index.ts';
import { predictLogits, type ImageSet, type Normalisation } from '../train/index.ts';

/**
 * Test-time augmentation of a packed set: logits whose softmax is the mean of the model's
 * probabilities over the views (the log of that mean), so that temperature scaling and every
 * later step treat them like one model's logits. One view: the model's own logits.
 */
export function ttaLogits(logitsModel: tfl.LayersModel, set: ImageSet, normalisation: Normalisation, views: readonly TtaView[]): Float32Array {
  if (views.length <= 1) return predictLogits(logitsModel, set, normalisation);
  const n = set.shape[0];
  let mean: Float64Array | null = null;
  for (const view of views) {
    const logits = predictLogits(logitsModel, { ...set, images: viewOfBatch(set.images, set.shape, view) }, normalisation);
    const k = logits.length / n;
    mean ??= new Float64Array(n * k);
    addSoftmax(mean, logits, k, 1 / views.length);
  }
  return Float32Array.from(mean!, (p) => Math.log(Math.max(p, 1e-30)));
}

/** Adds weight × softmax of each row of logits to sum. */
export function addSoftmax(sum: Float64Array, logits: Float32Array, k: number, weight: number): void {
  for (let row = 0; row < logits.length / k; row++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, logits[row * k + c]);
    let total = 0;
    for (let c = 0; c < k; c++) total += Math.exp(logits[row * k + c] - max);
    for (let c = 0; c < k; c++) sum[row * k + c] += (weight * Math.exp(logits[row * k + c] - max)) / total;
  }
}
