import type { RawImage } from '../../src/data/index.ts';
import { createRng } from '../../src/util/index.ts';

export function image(height: number, width: number, channels: number, values: number[]): RawImage {
  if (values.length !== height * width * channels) throw new Error('fixture size mismatch');
  return { data: Float32Array.from(values), height, width, channels };
}

export function randomImage(height: number, width: number, channels: number, seed: number): RawImage {
  const rng = createRng(seed);
  return { data: Float32Array.from({ length: height * width * channels }, () => rng.next()), height, width, channels };
}

export function maxAbsDifference(a: RawImage, b: RawImage): number {
  let max = 0;
  for (let i = 0; i < a.data.length; i++) max = Math.max(max, Math.abs(a.data[i] - b.data[i]));
  return max;
}
