import type { RawImage } from '../data/index.ts';
import { normaliseStainFor } from '../fields/index.ts';
import type { InputPolicy } from '../models/index.ts';
import { normaliseInPlace } from '../train/index.ts';
import { stainNormalisationOf } from './stain.ts';

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
