import type { Refusal } from '../contract/index.ts';
import { IMAGE_CHECK_REASONS, type ImageCheck } from './image-checks.ts';
import type { EmbeddingStatistics } from './mahalanobis.ts';

/** The words every refusal starts with, before its reason. */
export const REFUSAL_PREFIX = 'this is not something I can read';

/** Share of validation images the out-of-distribution threshold refuses (default of fitting it). */
export const DEFAULT_REFUSAL_TARGET = 0.01;

/**
 * What a model bundle keeps (metadata.json `ood`) to refuse inputs unlike its training images,
 * all chosen at training time.
 */
export interface OodStatistics {
  /** The embedding scored: global average pooling of the model's 'features' output. */
  embedding: 'features-gap';
  statistics: EmbeddingStatistics;
  /** An embedding scoring above this (squared Mahalanobis distance to the nearest class mean) is refused. */
  threshold: number;
  /** The image checks that apply to this model's kind of images: those that refused at most `refusalTarget` of its validation images. */
  imageChecks: ImageCheck[];
  /** How the threshold was chosen: validation images, the share to refuse, and the shares refused by the score and by the image checks. */
  validation: { images: number; refusalTarget: number; refusedByScore: number; refusedByImageChecks: number };
  trainImages: number;
}

/** "this is not something I can read: <reason>". */
export function refusalMessage(refusal: Pick<Refusal, 'reason'>): string {
  return `${REFUSAL_PREFIX}: ${refusal.reason}`;
}

export function imageCheckRefusal(check: ImageCheck): Refusal {
  return { code: check, reason: IMAGE_CHECK_REASONS[check] };
}

export const UNFAMILIAR_REFUSAL: Refusal = { code: 'unfamiliar', reason: 'it is unlike anything the model was trained on' };

/**
 * A whole field is refused when more than half of the tiles sent to the model are unfamiliar: a few
 * odd tiles (debris, a smudge) are left out of the field's answer instead.
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
