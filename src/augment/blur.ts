import type { RawImage } from '../data/index.ts';
import { emptyLike, reflectIndex } from './image.ts';

/** 1-D Gaussian of radius ceil(3σ), normalised to sum 1. */
export function gaussianKernel(sigma: number): Float32Array {
  if (!(sigma > 0)) throw new Error(`Blur sigma must be positive, got ${sigma}`);
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const value = Math.exp(-(i * i) / (2 * sigma * sigma));
    kernel[i + radius] = value;
    sum += value;
  }
  for (let i = 0; i < kernel.length; i++) kernel[i] /= sum;
  return kernel;
}

/**
 * Convolves every line of values (count lines of `length` pixels; pixel i of line l starts at
 * l·lineStep + i·pixelStep) with the kernel. Each line is first copied with mirrored margins so
 * the inner loop has no border tests.
 */
function convolveLines(
  source: Float32Array,
  target: Float32Array,
  kernel: Float32Array,
  channels: number,
  lines: { count: number; length: number; lineStep: number; pixelStep: number },
): void {
  const radius = (kernel.length - 1) / 2;
  const { count, length, lineStep, pixelStep } = lines;
  const padded = new Float32Array((length + 2 * radius) * channels);
  for (let line = 0; line < count; line++) {
    const base = line * lineStep;
    for (let p = -radius; p < length + radius; p++) {
      const from = base + reflectIndex(p, length) * pixelStep;
      const to = (p + radius) * channels;
      for (let c = 0; c < channels; c++) padded[to + c] = source[from + c];
    }
    for (let p = 0; p < length; p++) {
      const to = base + p * pixelStep;
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let k = 0, at = p * channels + c; k < kernel.length; k++, at += channels) sum += kernel[k] * padded[at];
        target[to + c] = sum;
      }
    }
  }
}

/** Separable Gaussian blur with mirrored borders. */
export function gaussianBlur(image: RawImage, sigma: number): RawImage {
  const kernel = gaussianKernel(sigma);
  const { height, width, channels } = image;
  const rows = emptyLike(image);
  const row = width * channels;
  convolveLines(image.data, rows.data, kernel, channels, { count: height, length: width, lineStep: row, pixelStep: channels });
  const out = emptyLike(image);
  convolveLines(rows.data, out.data, kernel, channels, { count: width, length: height, lineStep: channels, pixelStep: row });
  return out;
}
