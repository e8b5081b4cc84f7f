import type { RawImage } from '../data/index.ts';

export function emptyLike(image: RawImage, height = image.height, width = image.width): RawImage {
  return { data: new Float32Array(height * width * image.channels), height, width, channels: image.channels };
}

export function clamp01(value: number): number {
  return value < 0 ? 0 : value > 1 ? 1 : value;
}

/** Mirror index into 0..n-1 without repeating the edge pixel (…2 1 | 0 1 2 … n-1 | n-2 …). */
export function reflectIndex(index: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * n - 2;
  let i = index % period;
  if (i < 0) i += period;
  return i < n ? i : period - i;
}
