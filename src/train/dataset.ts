import type { Normalisation } from '../preprocess/index.ts';

export { normaliseInPlace, type Normalisation } from '../preprocess/index.ts';

/**
 * Images packed in one buffer, as the trainer consumes them: N × H × W × C, values in [0, 1]
 * (Float32Array) or 0..255 (Uint8Array, scaled on the fly, a quarter of the memory).
 */
export interface ImageSet {
  images: Float32Array | Uint8Array;
  /** [count, height, width, channels] */
  shape: [number, number, number, number];
  labels: Int32Array;
}

export function checkImageSet(set: ImageSet, numClasses: number, what: string): void {
  const [n, h, w, c] = set.shape;
  if (n === 0) throw new Error(`the ${what} set is empty`);
  if (set.images.length !== n * h * w * c) {
    throw new Error(`the ${what} set holds ${set.images.length} values but its shape [${set.shape.join(', ')}] needs ${n * h * w * c}`);
  }
  if (set.labels.length !== n) throw new Error(`the ${what} set has ${n} images but ${set.labels.length} labels`);
  for (const label of set.labels) {
    if (!(label >= 0 && label < numClasses)) throw new Error(`the ${what} set has label ${label}, outside 0..${numClasses - 1}`);
  }
}

/** Mean and standard deviation per channel over the whole set (computed once, on the training set). */
export function computeNormalisation(set: ImageSet): Normalisation {
  const [n, h, w, c] = set.shape;
  const scale = set.images instanceof Uint8Array ? 1 / 255 : 1;
  const sum = new Float64Array(c);
  const sumSq = new Float64Array(c);
  const pixels = n * h * w;
  for (let p = 0; p < pixels; p++) {
    for (let ch = 0; ch < c; ch++) {
      const v = set.images[p * c + ch] * scale;
      sum[ch] += v;
      sumSq[ch] += v * v;
    }
  }
  const mean = Array.from(sum, (s) => s / pixels);
  const std = Array.from(sumSq, (s, ch) => Math.sqrt(Math.max(s / pixels - mean[ch] ** 2, 1e-8)));
  return { mean, std };
}

/** Copies image `index` into `out` (length H·W·C) as [0, 1] floats. */
export function readImage(set: ImageSet, index: number, out: Float32Array): Float32Array {
  const size = set.shape[1] * set.shape[2] * set.shape[3];
  const start = index * size;
  if (set.images instanceof Uint8Array) {
    for (let i = 0; i < size; i++) out[i] = set.images[start + i] / 255;
  } else {
    out.set(set.images.subarray(start, start + size));
  }
  return out;
}

/** Subset of an image set by sample indices (copies). */
export function subsetImageSet(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const [, h, w, c] = set.shape;
  const size = h * w * c;
  const images = set.images instanceof Uint8Array ? new Uint8Array(indices.length * size) : new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const src = indices[i];
    images.set(set.images.subarray(src * size, (src + 1) * size), i * size);
    labels[i] = set.labels[src];
  }
  return { images, shape: [indices.length, h, w, c], labels };
}
