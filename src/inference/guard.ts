import type { Refusal } from '../contract/index.ts';
import type { RawImage } from '../data/index.ts';
import type { BundleMetadata } from '../models/portable.ts';
import {
  EmbeddingScorer,
  IMAGE_CHECKS,
  LATER_IMAGE_CHECKS,
  UNFAMILIAR_COLOURS_REFUSAL,
  UNFAMILIAR_REFUSAL,
  UNIVERSAL_CHECKS,
  averagePool,
  colourSignature,
  failedImageCheck,
  fieldSignatureRefusal,
  fieldTileRefusal,
  imageCheckRefusal,
  measureImage,
  type Disc,
  type FeatureMap,
  type FieldSignature,
  type ImageCheck,
} from '../ood/index.ts';
import { DEFAULT_BACKGROUND_CLASS } from './field-classes.ts';

/** A photo whose shorter side is more than this many times the model's input side is a whole field, not a tile. */
export const WHOLE_FIELD_FACTOR = 4;

/** How a photo sent as one image is read: as a tile, as a whole field, or refused. */
export type PhotoRoute = { kind: 'image' } | { kind: 'field'; reason: string } | { kind: 'refuse'; refusal: Refusal };

/** One image as the guard judges it: its pixels as decoded (0..1, before stain normalisation) and the model's feature map, when there is one. */
export interface GuardedImage {
  image: RawImage;
  features: FeatureMap | null;
}

/**
 * What guards a bundle's answers: the image checks that apply to its kind of images and, for a bundle
 * trained with them, the out-of-distribution scores of its embeddings and of the images' colours.
 * On decoded pixels (the server's InputGuard adds the decoding): the web app runs this same code.
 */
export class ImageGuard {
  readonly imageChecks: readonly ImageCheck[];
  private readonly featureScorer: EmbeddingScorer | null;
  private readonly colourScorer: EmbeddingScorer | null;

  constructor(protected readonly metadata: BundleMetadata) {
    const { ood } = metadata;
    if (ood && !(ood.features?.statistics && Number.isFinite(ood.features.threshold) && Array.isArray(ood.imageChecks))) {
      throw new Error('the model bundle\'s out-of-distribution statistics (metadata.json "ood") are malformed: retrain it, or remove "ood" to use the image checks only');
    }
    if (ood?.field && !(Array.isArray(ood.field.mean) && Array.isArray(ood.field.covariance) && Number.isFinite(ood.field.threshold))) {
      throw new Error('the model bundle\'s field signature (metadata.json "ood.field") is malformed: refit it on validation fields, or remove "ood.field"');
    }
    const fitted = ood?.imageChecks ?? (isMicroscopyModel(metadata) ? IMAGE_CHECKS : UNIVERSAL_CHECKS);
    // A check newer than the bundle's fitted list applies to microscope models by default.
    const tried = ood?.imageChecksTried ?? IMAGE_CHECKS.filter((check) => !LATER_IMAGE_CHECKS.includes(check));
    const newer = ood && isMicroscopyModel(metadata) ? LATER_IMAGE_CHECKS.filter((check) => !tried.includes(check)) : [];
    this.imageChecks = IMAGE_CHECKS.filter((check) => fitted.includes(check) || newer.includes(check));
    this.featureScorer = ood ? new EmbeddingScorer(ood.features.statistics) : null;
    this.colourScorer = ood?.colour ? new EmbeddingScorer(ood.colour.statistics) : null;
  }

  /** Whether the out-of-distribution scores are available (the bundle has their statistics). */
  get scoresEmbeddings(): boolean {
    return this.featureScorer !== null;
  }

  /** Said once by whoever loads the bundle: what guards it and what does not. */
  get notices(): string[] {
    if (this.featureScorer) {
      if (this.metadata.ood?.field || !isMicroscopyModel(this.metadata)) return [];
      return ['this model bundle has no field signature (gramlens demo fits one on its validation fields): a whole field is refused only when most of its tiles are unlike the training images'];
    }
    return [
      `this model bundle has no out-of-distribution statistics (it was trained before gramlens fitted them): only the image checks (${this.imageChecks.join(', ')}) refuse inputs unlike its training images; retrain it to add the model's own check`,
    ];
  }

  /** The image checks on a decoded photo (8-bit RGB), inside `disc` when given; null when it passes. */
  checkPixels(rgb: Uint8Array, width: number, height: number, disc?: Disc): Refusal | null {
    const failed = failedImageCheck(measureImage(rgb, width, height, disc), this.imageChecks);
    return failed ? imageCheckRefusal(failed) : null;
  }

  /** Both scores of an image (null where the bundle or the model lacks what they need). */
  scores({ image, features }: GuardedImage): { features: number | null; colour: number | null } {
    return {
      features: this.featureScorer && features ? this.featureScorer.score(averagePool(features)) : null,
      colour: this.colourScorer && image.channels === 3 ? this.colourScorer.score(colourSignature(image.data)) : null,
    };
  }

  /** Why an image is unfamiliar (its embedding, else its colours, beyond their thresholds), or null. */
  refusalOf(guarded: GuardedImage): Refusal | null {
    const { ood } = this.metadata;
    if (!ood) return null;
    const scores = this.scores(guarded);
    if (scores.features !== null && scores.features > ood.features.threshold) return UNFAMILIAR_REFUSAL;
    if (scores.colour !== null && ood.colour && scores.colour > ood.colour.threshold) return UNFAMILIAR_COLOURS_REFUSAL;
    return null;
  }

  /**
   * The tiles of a field sent to the model: which are unfamiliar, the field's refusal when most are
   * (fieldTileRefusal), else a warning that names the few left out of its answer.
   */
  judgeTiles(tiles: readonly GuardedImage[]): { unfamiliar: boolean[]; refusal: Refusal | null; warning: string | null } {
    const unfamiliar = tiles.map((tile) => this.refusalOf(tile) !== null);
    const found = unfamiliar.filter(Boolean).length;
    const refusal = fieldTileRefusal(tiles.length, found);
    const warning = !refusal && found > 0 ? `${found} of the ${tiles.length} tiles read are unlike the model's training images: left out of the field's answer` : null;
    return { unfamiliar, refusal, warning };
  }

  /** A whole field's refusal when its signature is unlike the validation fields' (for a bundle with their statistics), else null. */
  judgeField(signature: FieldSignature): Refusal | null {
    const statistics = this.metadata.ood?.field;
    return statistics ? fieldSignatureRefusal(statistics, signature) : null;
  }
}

/** Each image with its feature map (null when the model gave none). */
export function guarded(images: readonly RawImage[], features: readonly FeatureMap[] | null): GuardedImage[] {
  return images.map((image, i) => ({ image, features: features?.[i] ?? null }));
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

/** A tile model of microscope photos: it knows its physical scale or has the organism-free class. */
function isMicroscopyModel(metadata: BundleMetadata): boolean {
  return metadata.input.pxPerUm !== undefined || metadata.classes.includes(DEFAULT_BACKGROUND_CLASS);
}
