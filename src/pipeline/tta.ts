import type * as tfl from '@tensorflow/tfjs-layers';
import { viewOfBatch, type TtaView } from '../augment/index.ts';
import { applyTemperature } from '../evaluate/index.ts';
import { predictLogits, type ImageSet, type Normalisation } from '../train/index.ts';
import { logitsOfProbabilities } from './calibration.ts';

/**
 * Test-time augmentation of a packed set: logits whose softmax is the mean of the model's
 * probabilities over the views (the log of that mean), so that temperature scaling and every
 * later step treat them like one model's logits. One view: the model's own logits.
 */
export function ttaLogits(logitsModel: tfl.LayersModel, set: ImageSet, normalisation: Normalisation, views: readonly TtaView[]): Float32Array {
  if (views.length <= 1) return predictLogits(logitsModel, set, normalisation);
  return logitsOfMeanProbabilities(set.shape[0], views.map((view) => () => predictLogits(logitsModel, { ...set, images: viewOfBatch(set.images, set.shape, view) }, normalisation)));
}

/** The log of the mean of the softmax probabilities of several logits of the same n images, each computed when its turn comes. */
function logitsOfMeanProbabilities(n: number, logitsOf: readonly (() => Float32Array)[]): Float32Array {
  let mean: Float64Array | null = null;
  for (const next of logitsOf) {
    const logits = next();
    const probabilities = applyTemperature(logits, 1, logits.length / n);
    mean ??= new Float64Array(probabilities.length);
    for (let i = 0; i < probabilities.length; i++) mean[i] += probabilities[i] / logitsOf.length;
  }
  return logitsOfProbabilities(Float32Array.from(mean!));
}

/**
 * An ensemble's logits: the log of the mean of its members' probabilities (each member's over the
 * test-time views), so that one temperature is fitted on, and applied to, the averaged probabilities
 * as the bundle serves them. One member: ttaLogits.
 */
export function ensembleLogits(logitsModels: readonly tfl.LayersModel[], set: ImageSet, normalisation: Normalisation, views: readonly TtaView[]): Float32Array {
  if (logitsModels.length === 1) return ttaLogits(logitsModels[0], set, normalisation, views);
  return logitsOfMeanProbabilities(set.shape[0], logitsModels.map((model) => () => ttaLogits(model, set, normalisation, views)));
}
