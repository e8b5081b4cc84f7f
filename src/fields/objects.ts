import { quantile } from '../preprocess/index.ts';
import type { FieldOfView } from './fov.ts';
import { median } from './image.ts';
import { binomialSmooth } from './quality.ts';
import { chamferDistance, labelComponents } from './mask.ts';

/** Luminance quantile taken as the background (clear glass) level. */
export const BACKGROUND_QUANTILE = 0.9;

/**
 * Stained objects are found by their stain, not their darkness: per pixel, the optical density
 * against the window's own background colour summed over the three channels,
 * sum_c ln(background_c / pixel_c). A pink rod on a lavender background, a violet coccus on white
 * and a faint pink rod on pale yellow all stand out, whatever the tint or the exposure.
 */
/** The background colour of a window is the per-channel median of its brightest pixels (this share, by luminance). */
export const BACKGROUND_SHARE = 0.25;
/** A pixel belongs to a stained region when its signal is at least this many noise sds (and MIN_SIGNAL_OD)... */
export const NOISE_SDS = 4;
/** ...and at least this optical density (~3% less light in each channel). */
export const MIN_SIGNAL_OD = 0.1;
/** An object's peak must reach this many times the region threshold: a real object, not a ripple of the texture. */
export const MIN_PEAK_OVER_THRESHOLD = 2.5;
/**
 * Objects stained less than this share of the photo's strongly stained objects (the 90th
 * percentile of all peaks) are background texture, dust or faint host material, not organisms.
 */
export const STRONG_SHARE = 0.4;
/** Stained cores smaller than this (pixels) are noise or JPEG specks. */
const MIN_OBJECT_AREA = 4;
/** Objects narrower than this share of the median object width are slivers, scratches or sensor lines. */
export const MIN_RELATIVE_WIDTH = 0.4;
/** A window whose objects are at least this wide (median, px) is measured on its smoothed signal. */
export const SMOOTH_FROM_WIDTH = 4;

/**
 * The object width reported is this quantile of the objects' widths: below the median, so that
 * where bacteria share the field with larger cells (yeasts, leucocyte nuclei) the bacteria set it.
 */
export const OBJECT_WIDTH_QUANTILE = 0.35;
/** Side of the full-resolution windows the stained objects are measured in. */
export const OBJECT_WINDOW = 256;
/** Windows are visited (spread over the field) until this many objects were seen, at least MIN_OBJECT_WINDOWS... */
export const ENOUGH_OBJECTS = 60;
export const MIN_OBJECT_WINDOWS = 16;
/** ...and at most this many windows (~4 megapixels). */
export const MAX_OBJECT_WINDOWS = 64;

const LN = Float32Array.from({ length: 256 }, (_, v) => Math.log(Math.max(1, v)));

/** The background colour of an RGB window: per channel, the median of its BACKGROUND_SHARE brightest pixels. */
export function windowBackground(rgb: Uint8Array, width: number, left: number, top: number, side: number): [number, number, number] {
  const counts = new Uint32Array(256 * 3);
  const luminance = new Uint8Array(side * side);
  const lumCounts = new Uint32Array(256);
  for (let y = 0; y < side; y++) {
    let i = ((top + y) * width + left) * 3;
    for (let x = 0; x < side; x++, i += 3) {
      const l = Math.round(0.299 * rgb[i] + 0.587 * rgb[i + 1] + 0.114 * rgb[i + 2]);
      luminance[y * side + x] = l;
      lumCounts[l]++;
    }
  }
  let cut = 255;
  for (let seen = 0, target = side * side * BACKGROUND_SHARE; cut > 0; cut--) {
    seen += lumCounts[cut];
    if (seen >= target) break;
  }
  let total = 0;
  for (let y = 0; y < side; y++) {
    let i = ((top + y) * width + left) * 3;
    for (let x = 0; x < side; x++, i += 3) {
      if (luminance[y * side + x] < cut) continue;
      counts[rgb[i]]++;
      counts[256 + rgb[i + 1]]++;
      counts[512 + rgb[i + 2]]++;
      total++;
    }
  }
  const out: [number, number, number] = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    let seen = 0;
    let v = 0;
    for (; v < 255; v++) {
      seen += counts[c * 256 + v];
      if (seen >= total / 2) break;
    }
    out[c] = Math.max(1, v);
  }
  return out;
}

/** The stain signal of an RGB window: summed optical density against its background colour. */
export function stainSignal(rgb: Uint8Array, width: number, left: number, top: number, side: number, background: readonly number[]): Float32Array {
  const out = new Float32Array(side * side);
  const base = Math.log(background[0]) + Math.log(background[1]) + Math.log(background[2]);
  for (let y = 0; y < side; y++) {
    let i = ((top + y) * width + left) * 3;
    for (let x = 0; x < side; x++, i += 3) out[y * side + x] = base - LN[rgb[i]] - LN[rgb[i + 1]] - LN[rgb[i + 2]];
  }
  return out;
}

/** Robust noise sd of a signal that is mostly background: its median minus its 16th percentile (on a sample of ~4000 pixels). */
export function signalNoise(signal: Float32Array): number {
  const step = Math.max(1, Math.floor(signal.length / 4096));
  const sample = new Float32Array(Math.ceil(signal.length / step));
  for (let i = 0, k = 0; i < signal.length; i += step, k++) sample[k] = signal[i];
  sample.sort();
  const at = (q: number): number => sample[Math.floor(q * (sample.length - 1))];
  return Math.max(0, at(0.5) - at(0.16));
}

/** Half-side of the neighbourhood whose maximum is a pixel's "own peak" (the half-maximum cut). */
export const LOCAL_PEAK_RADIUS = 3;

/** Maximum of each pixel's (2r+1) x (2r+1) neighbourhood (separable, edges clamped). */
export function localMaximum(values: Float32Array, width: number, height: number, r: number): Float32Array {
  const rows = new Float32Array(values.length);
  for (let y = 0; y < height; y++) {
    const o = y * width;
    for (let x = 0; x < width; x++) {
      let m = -Infinity;
      for (let k = Math.max(0, x - r); k <= Math.min(width - 1, x + r); k++) if (values[o + k] > m) m = values[o + k];
      rows[o + x] = m;
    }
  }
  const out = new Float32Array(values.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let m = -Infinity;
      for (let k = Math.max(0, y - r); k <= Math.min(height - 1, y + r); k++) if (rows[k * width + x] > m) m = rows[k * width + x];
      out[y * width + x] = m;
    }
  }
  return out;
}

/** The stained objects of one window: per object its peak signal and width. */
export interface WindowObjects {
  /** Per object, the median width along its medial line (twice the inscribed radius), in pixels. */
  widths: number[];
  /** Per object, its peak stain signal (summed optical density). */
  peaks: number[];
  objectCount: number;
  /** The region threshold used (optical density). */
  threshold: number;
}

/**
 * Measures the stained objects of a window's stain signal. Regions are the pixels above
 * max(MIN_SIGNAL_OD, NOISE_SDS x the window's noise) (8-connected); each region whose peak is at
 * least MIN_PEAK_OVER_THRESHOLD x that threshold is cut at half its own peak (a width at half
 * maximum, so it does not depend on the stain's strength and little on blur), and each piece of
 * the cut is one object; its width is read along its medial line (local maxima of the distance to
 * its edge), so a rod gives its width, a coccus its diameter and a cluster the size of its cocci.
 */
export function measureWindowObjects(signal: Float32Array, side: number, noise: number): WindowObjects {
  const threshold = Math.max(MIN_SIGNAL_OD, NOISE_SDS * noise);
  const loose = new Uint8Array(signal.length);
  for (let i = 0; i < signal.length; i++) loose[i] = signal[i] >= threshold ? 1 : 0;
  const regions = labelComponents(loose, side, side, 8);
  const peak = new Float32Array(regions.count + 1);
  for (let i = 0; i < signal.length; i++) {
    const c = regions.labels[i];
    if (c && signal[i] > peak[c]) peak[c] = signal[i];
  }
  const local = localMaximum(signal, side, side, LOCAL_PEAK_RADIUS);
  const core = new Uint8Array(signal.length);
  for (let i = 0; i < signal.length; i++) {
    const c = regions.labels[i];
    if (c && peak[c] >= MIN_PEAK_OVER_THRESHOLD * threshold && signal[i] >= local[i] / 2) core[i] = 1;
  }
  const { labels, count, areas } = labelComponents(core, side, side, 8);
  const objectPeak = new Float32Array(count + 1);
  for (let i = 0; i < signal.length; i++) {
    const c = labels[i];
    if (c && signal[i] > objectPeak[c]) objectPeak[c] = signal[i];
  }
  const distance = chamferDistance(core, side, side);
  const medial: number[][] = Array.from({ length: count + 1 }, () => []);
  for (let y = 1; y < side - 1; y++) {
    for (let x = 1; x < side - 1; x++) {
      const p = y * side + x;
      const d = distance[p];
      if (d === 0) continue;
      if (d < distance[p - 1] || d < distance[p + 1] || d < distance[p - side] || d < distance[p + side]) continue;
      if (d < distance[p - side - 1] || d < distance[p - side + 1] || d < distance[p + side - 1] || d < distance[p + side + 1]) continue;
      medial[labels[p]].push(2 * d - 1);
    }
  }
  const widths: number[] = [];
  const peaks: number[] = [];
  for (let c = 1; c <= count; c++) {
    if (areas[c] < MIN_OBJECT_AREA || medial[c].length === 0) continue;
    const width = median(medial[c]);
    widths.push(width);
    peaks.push(objectPeak[c]);
  }
  return { widths, peaks, objectCount: widths.length, threshold };
}

/**
 * Top-left corners of up to `max` square windows of side `side` inside the field (0.9 r) and the
 * photo, on a grid centred on the field, spread evenly over it.
 */
export function windowsInside(fov: FieldOfView, width: number, height: number, side: number, max: number): Array<[number, number]> {
  const inner = fov.r * 0.9;
  const reach = Math.ceil(inner / side);
  const corners: Array<[number, number]> = [];
  for (let j = -reach; j <= reach; j++) {
    for (let i = -reach; i <= reach; i++) {
      const left = Math.round(fov.cx - side / 2 + i * side);
      const top = Math.round(fov.cy - side / 2 + j * side);
      if (left < 0 || top < 0 || left + side > width || top + side > height) continue;
      const farX = Math.max(Math.abs(left - fov.cx), Math.abs(left + side - fov.cx));
      const farY = Math.max(Math.abs(top - fov.cy), Math.abs(top + side - fov.cy));
      if (farX * farX + farY * farY <= inner * inner) corners.push([left, top]);
    }
  }
  if (corners.length <= max) return corners;
  const step = corners.length / max;
  return Array.from({ length: max }, (_, i) => corners[Math.floor(i * step + step / 2)]);
}

export interface ObjectScale {
  /** Typical width of the strongly stained objects (the OBJECT_WIDTH_QUANTILE of their widths), in photo pixels; null when fewer than minObjects were seen. */
  widthPx: number | null;
  /** Strongly stained objects seen (those that set the width). */
  objectCount: number;
}

/** The least peak of a strongly stained object: STRONG_SHARE of the 90th percentile of the peaks. */
function strongLevel(peaks: readonly number[]): number {
  return STRONG_SHARE * quantile(peaks, 0.9);
}

function strongCount(peaks: readonly number[]): number {
  if (peaks.length < ENOUGH_OBJECTS) return peaks.length;
  const level = strongLevel(peaks);
  return peaks.filter((p) => p >= level).length;
}

/** Visiting order of n windows that spreads the first ones over the whole grid (golden-ratio stride). */
function spreadOrder(n: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  return order.sort((a, b) => ((a * 0.618034) % 1) - ((b * 0.618034) % 1));
}

/**
 * Typical width of the strongly stained objects of a photo, measured at full resolution in windows
 * spread over the field of view (each window against its own background colour and noise), until
 * ENOUGH_OBJECTS were seen. Only objects stained at least STRONG_SHARE as strongly as the photo's
 * strongly stained ones count, so the widths are the organisms', not the smear's texture's.
 */
export function measureObjectScale(rgb: Uint8Array, width: number, height: number, fov: FieldOfView, minObjects = 8): ObjectScale {
  // Smaller windows when the field is too small for even one full-size window.
  const side = Math.max(16, Math.min(OBJECT_WINDOW, Math.floor(fov.r * 0.9 * Math.SQRT2), width, height));
  const corners = windowsInside(fov, width, height, side, Infinity);
  const widths: number[] = [];
  const peaks: number[] = [];
  let visited = 0;
  // Whether to measure on the smoothed signal, decided on the first window with objects (the
  // photo's objects are about as wide everywhere).
  let smooth: boolean | null = null;
  for (const k of spreadOrder(corners.length)) {
    if (visited >= MAX_OBJECT_WINDOWS || (visited >= MIN_OBJECT_WINDOWS && strongCount(peaks) >= ENOUGH_OBJECTS)) break;
    const [left, top] = corners[k];
    const background = windowBackground(rgb, width, left, top, side);
    const signal = stainSignal(rgb, width, left, top, side, background);
    const noise = signalNoise(signal);
    const smoothed = (): Float32Array => binomialSmooth({ data: signal, width: side, height: side }).data;
    let found = measureWindowObjects(smooth ? smoothed() : signal, side, noise);
    // Objects several pixels wide are measured on the lightly smoothed signal, so sensor and JPEG
    // noise do not fray their half-maximum outline (which shrinks the inscribed widths); smoothing
    // would merge objects only 1-2 px wide (a photo at low magnification), so not those.
    if (smooth === null && found.widths.length >= 3) {
      smooth = median(found.widths) >= SMOOTH_FROM_WIDTH;
      if (smooth) found = measureWindowObjects(smoothed(), side, noise);
    }
    for (let i = 0; i < found.widths.length; i++) {
      widths.push(found.widths[i]);
      peaks.push(found.peaks[i]);
    }
    visited++;
  }
  if (peaks.length === 0) return { widthPx: null, objectCount: 0 };
  const strong = strongLevel(peaks);
  const strongWidths = widths.filter((_, i) => peaks[i] >= strong);
  // Slivers, scratches and sensor lines far narrower than the typical object are not organisms.
  const narrowest = MIN_RELATIVE_WIDTH * median(strongWidths);
  const kept = strongWidths.filter((w) => w >= narrowest);
  return { widthPx: kept.length >= minObjects ? quantile(kept, OBJECT_WIDTH_QUANTILE) : null, objectCount: kept.length };
}
