/**
 * Pixel primitives shared by the field steps. Photos are 8-bit RGB, row-major, interleaved (HWC);
 * derived images are single-channel Float32 luminance in 0..1.
 */
import { quantile } from '../preprocess/index.ts';

/** A single-channel image. */
export interface GreyImage {
  data: Float32Array;
  width: number;
  height: number;
}

/** Rec. 601 luma of gamma-encoded RGB, the usual "brightness" of a photo. */
export const LUMA_WEIGHTS = [0.299, 0.587, 0.114] as const;

export function checkRgb(rgb: Uint8Array, width: number, height: number): void {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`image size must be two positive integers (got ${width}x${height})`);
  }
  if (rgb.length !== width * height * 3) {
    throw new Error(`expected ${width}x${height}x3 = ${width * height * 3} RGB values, got ${rgb.length}`);
  }
}

/**
 * Luminance averaged over factor x factor blocks (the right and bottom remainders are dropped): a
 * cheap, alias-free downscale for the whole-photo checks.
 */
export function downscaleLuminance(rgb: Uint8Array, width: number, height: number, factor: number): GreyImage {
  checkRgb(rgb, width, height);
  if (!(Number.isInteger(factor) && factor >= 1)) throw new Error(`downscale factor must be a positive integer (got ${factor})`);
  const fx = Math.min(factor, width);
  const fy = Math.min(factor, height);
  const outWidth = Math.floor(width / fx);
  const outHeight = Math.floor(height / fy);
  const data = new Float32Array(outWidth * outHeight);
  // Integer luma weights (x1000) keep the inner loop in integer arithmetic.
  const [wr, wg, wb] = LUMA_WEIGHTS.map((w) => Math.round(w * 1000));
  const norm = 1 / (255 * 1000 * fx * fy);
  const rowSums = new Float64Array(outWidth);
  for (let oy = 0; oy < outHeight; oy++) {
    rowSums.fill(0);
    for (let y = oy * fy; y < (oy + 1) * fy; y++) {
      let i = y * width * 3;
      for (let ox = 0; ox < outWidth; ox++) {
        let sum = 0;
        for (let dx = 0; dx < fx; dx++, i += 3) sum += wr * rgb[i] + wg * rgb[i + 1] + wb * rgb[i + 2];
        rowSums[ox] += sum;
      }
    }
    for (let ox = 0; ox < outWidth; ox++) data[oy * outWidth + ox] = rowSums[ox] * norm;
  }
  return { data, width: outWidth, height: outHeight };
}

/** Block-average downscale of a grey image by an integer factor. */
export function downscaleGrey(image: GreyImage, factor: number): GreyImage {
  const { data: src, width, height } = image;
  const outWidth = Math.max(1, Math.floor(width / factor));
  const outHeight = Math.max(1, Math.floor(height / factor));
  const data = new Float32Array(outWidth * outHeight);
  const fx = Math.min(factor, width);
  const fy = Math.min(factor, height);
  for (let oy = 0; oy < outHeight; oy++) {
    for (let y = oy * factor; y < oy * factor + fy; y++) {
      for (let x = 0; x < outWidth * fx; x++) data[oy * outWidth + ((x / fx) | 0)] += src[y * width + x];
    }
  }
  const norm = 1 / (fx * fy);
  for (let i = 0; i < data.length; i++) data[i] *= norm;
  return { data, width: outWidth, height: outHeight };
}

/** Luminance (0..1) of a square or rectangular window of an RGB photo, at full resolution. */
export function windowLuminance(rgb: Uint8Array, width: number, left: number, top: number, windowWidth: number, windowHeight: number): Float32Array {
  const out = new Float32Array(windowWidth * windowHeight);
  const [wr, wg, wb] = LUMA_WEIGHTS;
  for (let y = 0; y < windowHeight; y++) {
    let i = ((top + y) * width + left) * 3;
    for (let x = 0; x < windowWidth; x++, i += 3) out[y * windowWidth + x] = (wr * rgb[i] + wg * rgb[i + 1] + wb * rgb[i + 2]) / 255;
  }
  return out;
}

/** Counts of values in 0..1 over `bins` equal bins, for the selected indices (all when no selection). */
export function histogram(values: Float32Array, bins = 256, select?: (index: number) => boolean): Float64Array {
  const counts = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) {
    if (select && !select(i)) continue;
    const bin = Math.min(bins - 1, Math.max(0, Math.floor(values[i] * bins)));
    counts[bin]++;
  }
  return counts;
}

/** The value (bin centre, 0..1) below which a share q of the histogram's mass lies. */
export function histogramQuantile(counts: Float64Array, q: number): number {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return NaN;
  const target = q * total;
  let seen = 0;
  for (let bin = 0; bin < counts.length; bin++) {
    seen += counts[bin];
    if (seen >= target && counts[bin] > 0) return (bin + 0.5) / counts.length;
  }
  return (counts.length - 0.5) / counts.length;
}

/**
 * Otsu's threshold: the split of the histogram that maximises the between-class variance, as a
 * value in 0..1 (the upper edge of the darker class).
 */
export function otsuThreshold(counts: Float64Array): number {
  const bins = counts.length;
  let total = 0;
  let sumAll = 0;
  for (let b = 0; b < bins; b++) {
    total += counts[b];
    sumAll += b * counts[b];
  }
  let weightDark = 0;
  let sumDark = 0;
  let best = -1;
  let bestBin = 0;
  for (let b = 0; b < bins - 1; b++) {
    weightDark += counts[b];
    sumDark += b * counts[b];
    const weightBright = total - weightDark;
    if (weightDark === 0 || weightBright === 0) continue;
    const meanDark = sumDark / weightDark;
    const meanBright = (sumAll - sumDark) / weightBright;
    const between = weightDark * weightBright * (meanDark - meanBright) ** 2;
    if (between > best) {
      best = between;
      bestBin = b;
    }
  }
  return (bestBin + 1) / bins;
}

/** Median of a list of numbers (NaN when empty); does not modify the input. */
export function median(values: ArrayLike<number>): number {
  return quantile(values, 0.5);
}
