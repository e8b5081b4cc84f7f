import type { InputPolicy } from '../models/index.ts';
import { createRng, hashSeed } from '../util/index.ts';
import { checkStainNormalisation, estimateStainReference, normaliseStainFor, type StainMethod, type StainNormalisation } from './stain.ts';

/** Images packed N × H × W × C in one buffer, 0..1 floats or 0..255 bytes (a training ImageSet is one). */
export interface PackedPixels {
  images: Float32Array | Uint8Array;
  shape: [number, number, number, number];
}

/** At most this many training images (a seeded draw) set the stain reference. */
export const STAIN_REFERENCE_IMAGES = 256;

/** Salt of the seed that draws the reference images, so the draw does not follow the training shuffle. */
const REFERENCE_DRAW = 0x57a1;

function checkRgb(channels: number): void {
  if (channels !== 3) throw new Error(`stain normalisation needs RGB images, not ${channels}-channel ones: use 3 channels or no stain normalisation`);
}

/** The stain reference of a training set: estimated from up to STAIN_REFERENCE_IMAGES of its images, drawn with the seed. */
export function stainReferenceOf(set: PackedPixels, method: StainMethod, seed: number): StainNormalisation {
  const [n, h, w, c] = set.shape;
  checkRgb(c);
  const size = h * w * c;
  const drawn = createRng(hashSeed(seed, REFERENCE_DRAW))
    .shuffle(Array.from({ length: n }, (_, i) => i))
    .slice(0, STAIN_REFERENCE_IMAGES);
  return estimateStainReference(method, drawn.map((i) => set.images.subarray(i * size, (i + 1) * size)));
}

/** A copy of the set with every image stain-normalised, in the same pixel type. */
export function normaliseSetStains<Images extends PackedPixels>(set: Images, spec: StainNormalisation): Images {
  const [n, h, w, c] = set.shape;
  checkRgb(c);
  const size = h * w * c;
  const images = set.images instanceof Uint8Array ? new Uint8Array(set.images.length) : new Float32Array(set.images.length);
  for (let i = 0; i < n; i++) {
    const out = normaliseStainFor(set.images.subarray(i * size, (i + 1) * size), w, h, spec);
    if (images instanceof Uint8Array) for (let j = 0; j < size; j++) images[i * size + j] = Math.round(out[j] * 255);
    else images.set(out, i * size);
  }
  return { ...set, images };
}

/** The bundle's stain normalisation, checked; null when it has none. */
export function stainNormalisationOf(input: InputPolicy): StainNormalisation | null {
  if (!input.stain) return null;
  checkRgb(input.channels);
  return checkStainNormalisation(input.stain);
}
