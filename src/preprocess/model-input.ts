import type { RawImage } from '../data/index.ts';
import type { InputPolicy } from '../models/index.ts';
import { stainNormalisationOf } from './stain-reference.ts';
import { normaliseStainFor } from './stain.ts';

/** Per-channel mean and standard deviation applied to [0, 1] pixels before the model. */
export interface Normalisation {
  mean: number[];
  std: number[];
}

/** Normalises a [0, 1] HWC image in place. */
export function normaliseInPlace(data: Float32Array, channels: number, norm: Normalisation): void {
  const invStd = norm.std.map((s) => 1 / s);
  for (let i = 0; i < data.length; i++) {
    const ch = i % channels;
    data[i] = (data[i] - norm.mean[ch]) * invStd[ch];
  }
}

/**
 * One decoded image as the model takes it: checked against the input size, stain-normalised when
 * the bundle says so, then normalised by mean and sd as in training.
 */
export function modelInput(image: RawImage, input: InputPolicy, index = 0): Float32Array {
  const { height, width, channels, mean, std } = input;
  if (image.height !== height || image.width !== width || image.channels !== channels) {
    throw new Error(`image ${index} is ${image.height}×${image.width}×${image.channels}; the model takes ${height}×${width}×${channels}`);
  }
  const stain = stainNormalisationOf(input);
  const data = stain ? normaliseStainFor(image.data, width, height, stain) : image.data.slice();
  normaliseInPlace(data, channels, { mean, std });
  return data;
}
