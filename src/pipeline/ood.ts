import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { FEATURE_LAYER_NAME } from '../models/index.ts';
import {
  DEFAULT_REFUSAL_TARGET,
  EmbeddingScorer,
  HUE_BINS,
  IMAGE_CHECKS,
  colourSignature,
  failedImageCheck,
  fitEmbeddingStatistics,
  measureImage,
  thresholdForRefusal,
  type ImageMeasures,
  type OodStatistics,
  type ScoreStatistics,
} from '../ood/index.ts';
import { normaliseInPlace, readImage, subsetImageSet, type ImageSet, type Normalisation } from '../train/index.ts';
import { createRng } from '../util/index.ts';

/** Training images whose embeddings the class means and covariance are fitted on, at most (a seeded sample beyond). */
const MAX_FIT_IMAGES = 5000;
const BATCH = 64;

export interface OodFitInput {
  model: tfl.LayersModel;
  normalisation: Normalisation;
  numClasses: number;
  /** As the model sees them (stain-normalised when the bundle normalises stains). */
  train: ImageSet;
  val: ImageSet;
  /** The training and validation images as decoded, before any stain normalisation: what the image checks and the colour score see at inference. */
  rawTrain: ImageSet;
  rawVal: ImageSet;
  /** Share of validation images to refuse (default DEFAULT_REFUSAL_TARGET). */
  refusalTarget?: number;
  seed: number;
}

/**
 * The out-of-distribution statistics of a trained model: class means and shared covariance of the
 * training images' embeddings and of their colour signatures (colour models), each with the
 * threshold that refuses half of `refusalTarget` of the validation images, and the image checks that
 * this kind of image passes (those refusing at most that share of them).
 */
export function fitOutOfDistribution(input: OodFitInput): OodStatistics {
  const refusalTarget = input.refusalTarget ?? DEFAULT_REFUSAL_TARGET;
  const train = sampleSet(input.train, MAX_FIT_IMAGES, input.seed);
  const trainEmbeddings = embeddingsOf(input.model, train, input.normalisation);
  const features = fitScore(trainEmbeddings, train.labels, input.numClasses, embeddingsOf(input.model, input.val, input.normalisation), refusalTarget / 2);
  const colour = input.rawVal.shape[3] === 3 ? fitColourScore(input.rawTrain, input.rawVal, refusalTarget / 2, input.seed) : undefined;

  const measures = measureSet(input.rawVal);
  const imageChecks = IMAGE_CHECKS.filter((check) => measures.filter((m) => failedImageCheck(m, [check]) !== null).length <= refusalTarget * measures.length);
  const refusedByImageChecks = measures.filter((m) => failedImageCheck(m, imageChecks) !== null).length;
  const refusedByScores = features.refused.filter((refused, i) => refused || colour?.refused[i]).length;
  return {
    features: features.score,
    ...(colour ? { colour: colour.score } : {}),
    imageChecks,
    validation: {
      images: measures.length,
      refusalTarget,
      refusedByScores: refusedByScores / measures.length,
      refusedByImageChecks: refusedByImageChecks / measures.length,
    },
    trainImages: train.labels.length,
  };
}

interface Rows {
  values: Float32Array;
  dim: number;
}

/** Statistics fitted on the training rows (per label, or one group), the threshold refusing `share` of the validation rows, and which those are. */
function fitScore(train: Rows, labels: Int32Array, classes: number, val: Rows, share: number): { score: ScoreStatistics; refused: boolean[] } {
  const statistics = fitEmbeddingStatistics(train.values, labels, classes, train.dim);
  const scorer = new EmbeddingScorer(statistics);
  const scores = Array.from({ length: val.values.length / val.dim }, (_, i) => scorer.score(val.values.subarray(i * val.dim, (i + 1) * val.dim)));
  const threshold = thresholdForRefusal(scores, share);
  return { score: { statistics, threshold }, refused: scores.map((score) => score > threshold) };
}

/** The colour score: one group, fitted on the (sampled) training images' colour signatures as decoded. */
function fitColourScore(rawTrain: ImageSet, rawVal: ImageSet, share: number, seed: number): { score: ScoreStatistics; refused: boolean[] } {
  const train = signaturesOf(sampleSet(rawTrain, MAX_FIT_IMAGES, seed));
  return fitScore(train, new Int32Array(train.values.length / train.dim), 1, signaturesOf(rawVal), share);
}

function signaturesOf(set: ImageSet): Rows {
  const [n, h, w, c] = set.shape;
  const pixels = new Float32Array(h * w * c);
  const dim = HUE_BINS + 1;
  const values = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) values.set(colourSignature(readImage(set, i, pixels)), i * dim);
  return { values, dim };
}

/** Global-average-pooled 'features' of every image (n × channels). */
function embeddingsOf(model: tfl.LayersModel, set: ImageSet, normalisation: Normalisation): Rows {
  const pooled = tfl.model({ inputs: model.inputs, outputs: model.getLayer(FEATURE_LAYER_NAME).output as tfl.SymbolicTensor });
  const [n, h, w, c] = set.shape;
  const size = h * w * c;
  let values: Float32Array | null = null;
  let dim = 0;
  for (let start = 0; start < n; start += BATCH) {
    const count = Math.min(BATCH, n - start);
    const batch = new Float32Array(count * size);
    for (let i = 0; i < count; i++) {
      const slot = batch.subarray(i * size, (i + 1) * size);
      readImage(set, start + i, slot);
      normaliseInPlace(slot, c, normalisation);
    }
    const embedding = tf.tidy(() => tf.mean(pooled.predict(tf.tensor4d(batch, [count, h, w, c])) as tf.Tensor4D, [1, 2]));
    const data = embedding.dataSync() as Float32Array;
    embedding.dispose();
    dim = data.length / count;
    values ??= new Float32Array(n * dim);
    values.set(data, start * dim);
  }
  return { values: values ?? new Float32Array(0), dim };
}

/** The image measures of each image of a set (grey images as grey RGB). */
function measureSet(set: ImageSet): ImageMeasures[] {
  const [n, h, w, c] = set.shape;
  const pixels = new Float32Array(h * w * c);
  const rgb = new Uint8Array(h * w * 3);
  return Array.from({ length: n }, (_, i) => {
    readImage(set, i, pixels);
    for (let p = 0; p < h * w; p++) {
      for (let ch = 0; ch < 3; ch++) rgb[p * 3 + ch] = Math.round(Math.min(1, Math.max(0, pixels[p * c + (c === 3 ? ch : 0)])) * 255);
    }
    return measureImage(rgb, w, h);
  });
}

/** At most about `max` images: a seeded sample when there are more, with every label kept. */
function sampleSet(set: ImageSet, max: number, seed: number): ImageSet {
  const n = set.labels.length;
  if (n <= max) return set;
  const chosen = createRng(seed).shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, max);
  const labels = new Set(chosen.map((i) => set.labels[i]));
  for (let i = 0; i < n; i++) {
    if (labels.has(set.labels[i])) continue;
    labels.add(set.labels[i]);
    chosen.push(i);
  }
  return subsetImageSet(set, chosen.sort((a, b) => a - b));
}
