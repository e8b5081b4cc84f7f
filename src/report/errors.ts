import type { Labels } from '../evaluate/index.ts';
import type { ConfidentError, ErrorExample, ErrorExampleInput, GalleryItem, GalleryItemInput } from './types.ts';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * The `n` wrong predictions (argmax ≠ label) with the highest confidence, most confident first
 * (ties: lower index first). `probabilities` is n × k row-major; k is the number of classes.
 * These are the errors a reader should look at: the model was sure and wrong.
 */
export function mostConfidentErrors(labels: Labels, probabilities: Float32Array | Float64Array, k: number, n: number): ConfidentError[] {
  if (!Number.isInteger(k) || k < 2) throw new Error(`mostConfidentErrors: k must be an integer >= 2, got ${k}`);
  if (!Number.isInteger(n) || n < 0) throw new Error(`mostConfidentErrors: n must be a non-negative integer, got ${n}`);
  if (probabilities.length !== labels.length * k) {
    throw new Error(`mostConfidentErrors: ${probabilities.length} probabilities for ${labels.length} samples × ${k} classes`);
  }
  const errors: ConfidentError[] = [];
  for (let index = 0; index < labels.length; index++) {
    let predicted = 0;
    for (let c = 1; c < k; c++) if (probabilities[index * k + c] > probabilities[index * k + predicted]) predicted = c;
    if (predicted !== labels[index]) errors.push({ index, trueLabel: labels[index], predicted, confidence: probabilities[index * k + predicted] });
  }
  return errors.sort((a, b) => b.confidence - a.confidence || a.index - b.index).slice(0, n);
}

/** Checks an error example and embeds its thumbnail as a data URI. */
export function toErrorExample(input: ErrorExampleInput, classCount: number): ErrorExample {
  for (const [what, label] of [
    ['trueLabel', input.trueLabel],
    ['predicted', input.predicted],
  ] as const) {
    if (!Number.isInteger(label) || label < 0 || label >= classCount) {
      throw new Error(`error example ${input.index} (${input.source}): ${what} ${label} is not a class index in [0, ${classCount})`);
    }
  }
  return {
    index: input.index,
    trueLabel: input.trueLabel,
    predicted: input.predicted,
    confidence: input.confidence,
    source: input.source,
    thumbnail: input.thumbnailPng ? pngDataUri(input.thumbnailPng) : null,
  };
}

/** Checks a gallery item and embeds its overlay as a data URI. */
export function toGalleryItem(input: GalleryItemInput, classCount: number): GalleryItem {
  const { thumbnail } = toErrorExample({ ...input, thumbnailPng: input.overlayPng }, classCount);
  return {
    index: input.index,
    trueLabel: input.trueLabel,
    predicted: input.predicted,
    confidence: input.confidence,
    source: input.source,
    method: input.method,
    correct: input.trueLabel === input.predicted,
    overlay: thumbnail!,
  };
}

export function pngDataUri(png: Uint8Array): string {
  if (png.length < PNG_SIGNATURE.length || PNG_SIGNATURE.some((byte, i) => png[i] !== byte)) throw new Error('thumbnail is not a PNG file');
  return `data:image/png;base64,${Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString('base64')}`;
}
