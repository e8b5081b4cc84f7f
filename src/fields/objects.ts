import { quantile } from '../preprocess/index.ts';
import type { FieldOfView } from './fov.ts';
import { histogram, histogramQuantile, median, windowLuminance } from './image.ts';
import { chamferDistance, labelComponents } from './mask.ts';

/**
 * A pixel is stained when it transmits less than this share of the local background light. Pink
 * Gram-negative rods transmit ~50%, the glass ~100%, the sensor noise of a decent photo never
 * reaches a 30% dip.
 */
export const STAINED_RATIO = 0.7;
/** Luminance quantile taken as the background (clear glass) level. */
export const BACKGROUND_QUANTILE = 0.9;
/** Stained components smaller than this (pixels) are noise or JPEG specks. */
const MIN_OBJECT_AREA = 4;
/** Components fainter than this (1 - darkest / background) are background texture, not stained organisms. */
export const MIN_OBJECT_DEPTH = 0.45;

/**
 * The object width reported is this quantile of the objects' widths: below the median, so that
 * where bacteria share the field with larger cells (yeasts, leucocyte nuclei) the bacteria set it.
 */
export const OBJECT_WIDTH_QUANTILE = 0.35;
/** Side of the full-resolution windows the stained objects are measured in. */
export const OBJECT_WINDOW = 256;
/** At most this many windows (~1 megapixel), spread over the field. */
export const MAX_OBJECT_WINDOWS = 16;

/** Marks stained pixels of a luminance image relative to its background level. */
export function stainedMask(luminance: Float32Array, background: number): Uint8Array {
  const mask = new Uint8Array(luminance.length);
  const limit = background * STAINED_RATIO;
  for (let i = 0; i < luminance.length; i++) mask[i] = luminance[i] < limit ? 1 : 0;
  return mask;
}

/** The background (clear glass) luminance of a luminance image: its BACKGROUND_QUANTILE. */
export function backgroundLevel(luminance: Float32Array): number {
  return histogramQuantile(histogram(luminance), BACKGROUND_QUANTILE);
}

/** The stained objects of one window: the width of each. */
export interface WindowObjects {
  /** Per object, the median width along its medial line (twice the inscribed radius), in pixels. */
  widths: number[];
  objectCount: number;
}

/**
 * Measures the strongly stained objects of a luminance window. Each object (a component of the
 * loose STAINED_RATIO mask whose darkest pixel is at least MIN_OBJECT_DEPTH below the background)
 * is cut at half its own depth, so its width does not depend on its darkness or on a mild blur;
 * the width is read along its medial line (local maxima of the distance to its edge), so a rod
 * gives its width, a coccus its diameter and a cluster the size of its cocci. One value per object,
 * so a long fibre does not outvote the bacteria.
 */
export function measureWindowObjects(luminance: Float32Array, side: number, background: number): WindowObjects {
  const loose = stainedMask(luminance, background);
  const { labels, count, areas } = labelComponents(loose, side, side, 8);
  const darkest = new Float32Array(count + 1).fill(Infinity);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (c && luminance[i] < darkest[c]) darkest[c] = luminance[i];
  }
  const halfDepthLevel = new Float32Array(count + 1);
  let objectCount = 0;
  for (let c = 1; c <= count; c++) {
    const depth = 1 - darkest[c] / background;
    if (depth < MIN_OBJECT_DEPTH || areas[c] < MIN_OBJECT_AREA) continue;
    halfDepthLevel[c] = background * (1 - depth / 2);
    objectCount++;
  }
  const core = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) core[i] = luminance[i] < halfDepthLevel[labels[i]] ? 1 : 0;
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
  const widths = medial.filter((points) => points.length > 0).map((points) => median(points));
  return { widths, objectCount };
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
  /** Typical width of the stained objects (the OBJECT_WIDTH_QUANTILE of their widths), in photo pixels; null when fewer than minObjects were seen. */
  widthPx: number | null;
  objectCount: number;
}

/**
 * Typical width of the dark-stained objects of a photo, measured at full resolution in windows
 * spread over the field of view (each window against its own background level).
 */
export function measureObjectScale(rgb: Uint8Array, width: number, height: number, fov: FieldOfView, minObjects = 8): ObjectScale {
  // Smaller windows when the field is too small for even one full-size window.
  const side = Math.max(16, Math.min(OBJECT_WINDOW, Math.floor(fov.r * 0.9 * Math.SQRT2), width, height));
  const widths: number[] = [];
  let objectCount = 0;
  for (const [left, top] of windowsInside(fov, width, height, side, MAX_OBJECT_WINDOWS)) {
    const luminance = windowLuminance(rgb, width, left, top, side, side);
    const found = measureWindowObjects(luminance, side, backgroundLevel(luminance));
    for (const w of found.widths) widths.push(w);
    objectCount += found.objectCount;
  }
  return { widthPx: objectCount >= minObjects ? quantile(widths, OBJECT_WIDTH_QUANTILE) : null, objectCount };
}
