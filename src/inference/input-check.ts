import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { Refusal } from '../contract/index.ts';
import { decodePhoto } from '../fields/index.ts';
import type { BundleMetadata } from '../models/index.ts';
import {
  EmbeddingScorer,
  IMAGE_CHECKS,
  UNFAMILIAR_REFUSAL,
  UNIVERSAL_CHECKS,
  averagePool,
  failedImageCheck,
  fieldTileRefusal,
  imageCheckRefusal,
  measureImage,
  type Disc,
  type FeatureMap,
  type ImageCheck,
} from '../ood/index.ts';
import { DEFAULT_BACKGROUND_CLASS } from './field-predictor.ts';

/** A photo whose shorter side is more than this many times the model's input side is a whole field, not a tile. */
export const WHOLE_FIELD_FACTOR = 4;

/** How a photo sent as one image is read: as a tile, as a whole field, or refused. */
export type PhotoRoute = { kind: 'image' } | { kind: 'field'; reason: string } | { kind: 'refuse'; refusal: Refusal };

/**
 * What guards a bundle's answers: the image checks that apply to its kind of images and, for a bundle
 * trained with them, the out-of-distribution score of its embeddings.
 */
export class InputGuard {
  readonly imageChecks: readonly ImageCheck[];
  private readonly scorer: EmbeddingScorer | null;

  constructor(private readonly metadata: BundleMetadata) {
    this.imageChecks = metadata.ood?.imageChecks ?? (isMicroscopyModel(metadata) ? IMAGE_CHECKS : UNIVERSAL_CHECKS);
    this.scorer = metadata.ood ? new EmbeddingScorer(metadata.ood.statistics) : null;
  }

  /** Whether the out-of-distribution score is available (the bundle has its statistics). */
  get scoresEmbeddings(): boolean {
    return this.scorer !== null;
  }

  /** Said once by whoever loads the bundle: what guards it and what does not. */
  get notices(): string[] {
    if (this.scorer) return [];
    return [
      `this model bundle has no out-of-distribution statistics (it was trained before gramlens fitted them): only the image checks (${this.imageChecks.join(', ')}) refuse inputs unlike its training images; retrain it to add the model's own check`,
    ];
  }

  /** The image checks on a photo (a file or encoded bytes), inside `disc` when given; null when it passes. */
  async checkPhoto(photo: string | Buffer, disc?: Disc): Promise<Refusal | null> {
    const bytes = typeof photo === 'string' ? await readFile(photo) : photo;
    const { rgb, width, height } = await decodePhoto(bytes);
    const failed = failedImageCheck(measureImage(rgb, width, height, disc), this.imageChecks);
    return failed ? imageCheckRefusal(failed) : null;
  }

  /** Per image: its embedding is farther from every class than the bundle's threshold; null without statistics or feature maps. */
  unfamiliar(features: readonly FeatureMap[] | null): boolean[] | null {
    if (!this.scorer || !features) return null;
    const threshold = this.metadata.ood!.threshold;
    return features.map((map) => this.scorer!.score(averagePool(map)) > threshold);
  }

  /**
   * The tiles of a field sent to the model, judged from their feature maps: which are unfamiliar,
   * the field's refusal when most are (fieldTileRefusal), else a warning that names the few left out.
   */
  judgeTiles(features: readonly FeatureMap[] | null, count: number): { unfamiliar: boolean[]; refusal: Refusal | null; warning: string | null } {
    const unfamiliar = this.unfamiliar(features) ?? new Array<boolean>(count).fill(false);
    const found = unfamiliar.filter(Boolean).length;
    const refusal = fieldTileRefusal(count, found);
    const warning = !refusal && found > 0 ? `${found} of the ${count} tiles read are unlike the model's training images: left out of the field's answer` : null;
    return { unfamiliar, refusal, warning };
  }

  /** The refusal of one image from its feature map (null when familiar or not scored). */
  refusalOf(features: readonly FeatureMap[] | null, index: number): Refusal | null {
    return this.unfamiliar(features && [features[index]])?.[0] ? UNFAMILIAR_REFUSAL : null;
  }
}

/**
 * Whole-field by default: a photo far larger than the model's input (shorter side > WHOLE_FIELD_FACTOR
 * × input side, where the resize would throw most of it away) goes through the field path when
 * the bundle reads fields (`fieldSupport` null); a microscope tile model that cannot refuses it; a
 * whole-image model (no physical scale, no background class, e.g. chest X-rays) reads it as usual.
 */
export function routePhoto(size: { width: number; height: number }, metadata: BundleMetadata, fieldSupport: string | null): PhotoRoute {
  const side = Math.min(metadata.input.height, metadata.input.width);
  const { width, height } = size;
  if (Math.min(width, height) <= WHOLE_FIELD_FACTOR * side) return { kind: 'image' };
  const what = `the photo (${width}×${height}) is far larger than the model's ${side} px input`;
  if (fieldSupport === null) return { kind: 'field', reason: `${what}: read as a whole microscope field` };
  if (!isMicroscopyModel(metadata)) return { kind: 'image' };
  return { kind: 'refuse', refusal: { code: 'field-unsupported', reason: `${what}, and this model cannot read whole fields (${fieldSupport})` } };
}

/** A photo's size from its header (rotation does not change its shorter side). */
export async function photoSize(photo: string | Buffer): Promise<{ width: number; height: number }> {
  const { width, height } = await sharp(photo).metadata();
  if (!width || !height) throw new Error(`cannot read the size of ${typeof photo === 'string' ? photo : 'the photo'}`);
  return { width, height };
}

/** A tile model of microscope photos: it knows its physical scale or has the organism-free class. */
function isMicroscopyModel(metadata: BundleMetadata): boolean {
  return metadata.input.pxPerUm !== undefined || metadata.classes.includes(DEFAULT_BACKGROUND_CLASS);
}
