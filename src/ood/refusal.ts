import type { Refusal, RefusalCode } from '../contract/index.ts';
import { IMAGE_CHECK_REASONS, IMAGE_CHECKS, type ImageCheck } from './image-checks.ts';
import type { FieldSignatureStatistics } from './field-signature.ts';
import type { EmbeddingStatistics } from './mahalanobis.ts';

/** Every refusal code (the contract's RefusalCode), for schemas: the image checks, then the others. */
export const REFUSAL_CODES = [...IMAGE_CHECKS, 'unfamiliar', 'quality', 'field-unsupported'] as const satisfies readonly RefusalCode[];
// A RefusalCode missing from the list fails to compile here.
const everyCodeListed: Exclude<RefusalCode, (typeof REFUSAL_CODES)[number]> extends never ? true : never = true;
void everyCodeListed;

/** The words every refusal starts with, before its reason. */
export const REFUSAL_PREFIX = 'this is not something I can read';

/**
 * Share of validation images the out-of-distribution thresholds refuse together (default of fitting
 * them; each of the two scores half of it). Half of the 1% one could afford: a threshold is an extreme
 * quantile of a few hundred validation scores, and new patients score a little higher (on the
 * benchmark's model, 0.5% of validation images per score became 2.3% of test tiles; the largest
 * validation score, 1.2%).
 */
export const DEFAULT_REFUSAL_TARGET = 0.005;

/** An image check applies to a model when it refuses at most this share of its validation images. */
export const IMAGE_CHECK_TOLERANCE = 0.01;

/** One out-of-distribution score's statistics and the threshold above which it refuses. */
export interface ScoreStatistics {
  statistics: EmbeddingStatistics;
  /** A score above this (squared Mahalanobis distance to the nearest mean) is unfamiliar. */
  threshold: number;
}

/**
 * What a model bundle keeps (metadata.json `ood`) to refuse inputs unlike its training images,
 * all chosen at training time. An image is unfamiliar when either score is above its threshold;
 * each threshold refuses half the target share of validation images.
 */
export interface OodStatistics {
  /** The model's own embedding: the global average pooling of its 'features' output, per class. */
  features: ScoreStatistics;
  /** The image's colours as decoded (colourSignature), before any stain normalisation; absent for grey models. */
  colour?: ScoreStatistics;
  /**
   * Whole fields: the signature of the validation fields (fieldSignatureRefusal), fitted after
   * training on them; absent for bundles that do not read fields or were fitted before it.
   */
  field?: FieldSignatureStatistics;
  /** The image checks that apply to this model's kind of images: those that refused at most IMAGE_CHECK_TOLERANCE of its validation images. */
  imageChecks: ImageCheck[];
  /** The checks tried when imageChecks was fitted; absent in bundles fitted before LATER_IMAGE_CHECKS existed, which get those by default (microscope models). */
  imageChecksTried?: ImageCheck[];
  /** How the thresholds were chosen: validation images, the share to refuse, and the shares refused by the scores and by the image checks. */
  validation: { images: number; refusalTarget: number; refusedByScores: number; refusedByImageChecks: number };
  trainImages: number;
}

/** "this is not something I can read: <reason>". */
export function refusalMessage(refusal: Pick<Refusal, 'reason'>): string {
  return `${REFUSAL_PREFIX}: ${refusal.reason}`;
}

export function imageCheckRefusal(check: ImageCheck): Refusal {
  return { code: check, reason: IMAGE_CHECK_REASONS[check] };
}

/**
 * A whole field that fails the photo quality check (no field of view, out of focus, too bright …):
 * refused with the check's reasons; unlike every other refusal, "predict anyway" overrides it.
 */
export function qualityRefusal(reasons: readonly string[]): Refusal {
  return { code: 'quality', reason: `the photo failed the quality check (${reasons.join(', ')})`, qualityReasons: [...reasons] };
}

export const UNFAMILIAR_REFUSAL: Refusal = { code: 'unfamiliar', reason: 'it is unlike anything the model was trained on' };
export const UNFAMILIAR_COLOURS_REFUSAL: Refusal = { code: 'unfamiliar', reason: 'its colours are unlike those of every image the model was trained on' };

/**
 * A whole field is refused when more than half of the tiles sent to the model are unfamiliar: a few
 * odd tiles (debris, a smudge, a corner of something else) are left out of the field's answer
 * instead. Half, not less: tiles cut from in-distribution fields stand out more often than the
 * validation tiles the thresholds were chosen on (up to 24% of a synthetic field's tiles, against
 * 1.7% of test tiles overall; src/ood/README.md).
 */
export function fieldTileRefusal(read: number, unfamiliar: number): Refusal | null {
  if (read === 0 || unfamiliar * 2 <= read) return null;
  return { code: 'unfamiliar', reason: `most of the field (${unfamiliar} of the ${read} tiles read) is unlike anything the model was trained on`, tiles: { read, unfamiliar } };
}

/**
 * The score above which the highest `share` of validation scores lies: the level that refuses that
 * share of in-distribution images (ties at the level are kept).
 */
export function thresholdForRefusal(scores: ArrayLike<number>, share: number): number {
  if (scores.length === 0) throw new Error('no validation scores to choose an out-of-distribution threshold on');
  if (!(share >= 0 && share < 1)) throw new Error(`the share of validation images to refuse must be in [0, 1), got ${share}`);
  const sorted = Float64Array.from(scores).sort();
  const refused = Math.floor(share * sorted.length);
  return sorted[sorted.length - 1 - refused];
}
