import * as tfl from '@tensorflow/tfjs-layers';
import { FEATURE_LAYER_NAME } from '../models/index.ts';
import {
  DEFAULT_REFUSAL_TARGET,
  EmbeddingScorer,
  HUE_BINS,
  IMAGE_CHECKS,
  IMAGE_CHECK_TOLERANCE,
  colourSignature,
  failedImageCheck,
  fitEmbeddingStatistics,
  measureImage,
  thresholdForRefusal,
  type ImageMeasures,
  type OodStatistics,
  type ScoreStatistics,
} from '../ood/index.ts';
import { predictLogits, readImage, subsetImageSet, type ImageSet, type Normalisation } from '../train/index.ts';
import { createRng } from '../util/index.ts';

/** Training images whose embeddings the class means and covariance are fitted on, at most (a seeded sample beyond). */
const MAX_FIT_IMAGES = 5000;

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
 * this kind of image passes (those refusing at most IMAGE_CHECK_TOLERANCE of them).
 */
export function fitOutOfDistribution(input: OodFitInput): OodStatistics {
  const refusalTarget = input.refusalTarget ?? DEFAULT_REFUSAL_TARGET;
  const train = sampleSet(input.train, MAX_FIT_IMAGES, input.seed);
  const pooled = pooledFeatureModel(input.model);
  const trainEmbeddings = embeddingsOf(pooled, train, input.normalisation);
  const features = fitScore(trainEmbeddings, train.labels, input.numClasses, embeddingsOf(pooled, input.val, input.normalisation), refusalTarget / 2);
  const colour = input.rawVal.shape[3] === 3 ? fitColourScore(input.rawTrain, input.rawVal, refusalTarget / 2, input.seed) : undefined;

  const measures = measureSet(input.rawVal);
  const imageChecks = IMAGE_CHECKS.filter((check) => measures.filter((m) => failedImageCheck(m, [check]) !== null).length <= IMAGE_CHECK_TOLERANCE * measures.length);
  const refusedByImageChecks = measures.filter((m) => failedImageCheck(m, imageChecks) !== null).length;
  const refusedByScores = features.refused.filter((refused, i) => refused || colour?.refused[i]).length;
  return {
    features: features.score,
    ...(colour ? { colour: colour.score } : {}),
    imageChecks,
    imageChecksTried: [...IMAGE_CHECKS],
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

/** The model up to its 'features' layer, global-average-pooled (sharing the model's weights). */
function pooledFeatureModel(model: tfl.LayersModel): tfl.LayersModel {
  const features = model.getLayer(FEATURE_LAYER_NAME).output as tfl.SymbolicTensor;
  return tfl.model({ inputs: model.inputs, outputs: tfl.layers.globalAveragePooling2d({}).apply(features) as tfl.SymbolicTensor });
}

/** Global-average-pooled 'features' of every image (n × channels), from pooledFeatureModel. */
function embeddingsOf(pooled: tfl.LayersModel, set: ImageSet, normalisation: Normalisation): Rows {
  const values = predictLogits(pooled, set, normalisation);
  const n = set.shape[0];
  return { values, dim: n === 0 ? 0 : values.length / n };
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
