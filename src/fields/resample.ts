/** A rectangle in photo pixels (edges, may be fractional). */
export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

interface Taps {
  /** First source index of each output sample. */
  start: Int32Array;
  /** Number of taps of each output sample. */
  count: Int32Array;
  /** Normalised weights, `stride` per output sample. */
  weights: Float32Array;
  stride: number;
}

/**
 * Triangle-filter taps mapping `outCount` samples onto source pixels [from, from + span): bilinear
 * when enlarging, widened to the reduction factor when shrinking so every source pixel counts
 * (no aliasing of a 12-MP photo down to the model's scale).
 */
function taps(from: number, span: number, outCount: number, sourceCount: number): Taps {
  const step = span / outCount;
  const support = Math.max(1, step);
  const stride = Math.ceil(2 * support) + 2;
  const start = new Int32Array(outCount);
  const count = new Int32Array(outCount);
  const weights = new Float32Array(outCount * stride);
  for (let i = 0; i < outCount; i++) {
    const centre = from + (i + 0.5) * step;
    const first = Math.max(0, Math.floor(centre - support - 0.5) + 1);
    const last = Math.min(sourceCount - 1, Math.ceil(centre + support - 0.5) - 1);
    let total = 0;
    let n = 0;
    for (let j = first; j <= last && n < stride; j++, n++) {
      const w = Math.max(0, 1 - Math.abs(j + 0.5 - centre) / support);
      weights[i * stride + n] = w;
      total += w;
    }
    if (total === 0) {
      // The sample lies beyond the photo: repeat the nearest edge pixel.
      start[i] = Math.min(sourceCount - 1, Math.max(0, Math.floor(centre)));
      count[i] = 1;
      weights[i * stride] = 1;
      continue;
    }
    for (let k = 0; k < n; k++) weights[i * stride + k] /= total;
    start[i] = first;
    count[i] = n;
  }
  return { start, count, weights, stride };
}

/** Separable resampling of a region of an RGB image through precomputed taps (rows first, only those needed). */
function resampleWithTaps(source: Uint8Array | Float32Array, width: number, height: number, region: Region, outWidth: number, outHeight: number, valueScale: number): Float32Array {
  const across = taps(region.left, region.width, outWidth, width);
  const down = taps(region.top, region.height, outHeight, height);
  let firstRow = height;
  let lastRow = 0;
  for (let i = 0; i < outHeight; i++) {
    firstRow = Math.min(firstRow, down.start[i]);
    lastRow = Math.max(lastRow, down.start[i] + down.count[i] - 1);
  }
  const rows = lastRow - firstRow + 1;
  const horizontal = new Float32Array(rows * outWidth * 3);
  for (let y = 0; y < rows; y++) {
    const rowStart = (firstRow + y) * width * 3;
    for (let i = 0; i < outWidth; i++) {
      let r = 0;
      let g = 0;
      let b = 0;
      const base = i * across.stride;
      for (let k = 0, s = rowStart + across.start[i] * 3; k < across.count[i]; k++, s += 3) {
        const w = across.weights[base + k];
        r += w * source[s];
        g += w * source[s + 1];
        b += w * source[s + 2];
      }
      const o = (y * outWidth + i) * 3;
      horizontal[o] = r;
      horizontal[o + 1] = g;
      horizontal[o + 2] = b;
    }
  }
  const out = new Float32Array(outWidth * outHeight * 3);
  const rowLength = outWidth * 3;
  for (let j = 0; j < outHeight; j++) {
    const base = j * down.stride;
    const o = j * rowLength;
    for (let k = 0; k < down.count[j]; k++) {
      const w = down.weights[base + k] * valueScale;
      const s = (down.start[j] + k - firstRow) * rowLength;
      for (let c = 0; c < rowLength; c++) out[o + c] += w * horizontal[s + c];
    }
  }
  return out;
}

/** Averages factor x factor blocks of the photo's window [x0, x1) x [y0, y1) into a Float32 RGB image (0..255). */
function blockAverage(rgb: Uint8Array, width: number, x0: number, y0: number, x1: number, y1: number, factor: number): { data: Float32Array; width: number; height: number } {
  const outWidth = Math.floor((x1 - x0) / factor);
  const outHeight = Math.floor((y1 - y0) / factor);
  const data = new Float32Array(outWidth * outHeight * 3);
  const norm = 1 / (factor * factor);
  for (let oy = 0; oy < outHeight; oy++) {
    const o = oy * outWidth * 3;
    for (let y = y0 + oy * factor; y < y0 + (oy + 1) * factor; y++) {
      let i = (y * width + x0) * 3;
      for (let ox = 0; ox < outWidth; ox++) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let dx = 0; dx < factor; dx++, i += 3) {
          r += rgb[i];
          g += rgb[i + 1];
          b += rgb[i + 2];
        }
        data[o + ox * 3] += r;
        data[o + ox * 3 + 1] += g;
        data[o + ox * 3 + 2] += b;
      }
    }
    for (let c = o; c < o + outWidth * 3; c++) data[c] *= norm;
  }
  return { data, width: outWidth, height: outHeight };
}

/**
 * Resamples a region of an 8-bit RGB photo to outWidth x outHeight, as Float32 RGB in 0..1 (HWC):
 * a triangle filter (bilinear when enlarging, as wide as the reduction when shrinking). Large
 * reductions first average whole-pixel blocks, so the filter never needs more than a few taps.
 */
export function resampleRegion(rgb: Uint8Array, width: number, height: number, region: Region, outWidth: number, outHeight: number): Float32Array {
  const factor = Math.floor(Math.min(region.width / outWidth, region.height / outHeight));
  if (factor < 2) return resampleWithTaps(rgb, width, height, region, outWidth, outHeight, 1 / 255);
  const margin = 2 * factor;
  const x0 = Math.max(0, Math.floor(region.left) - margin);
  const y0 = Math.max(0, Math.floor(region.top) - margin);
  const x1 = Math.min(width, Math.ceil(region.left + region.width) + margin);
  const y1 = Math.min(height, Math.ceil(region.top + region.height) + margin);
  const reduced = blockAverage(rgb, width, x0, y0, x1, y1, factor);
  const inReduced = { left: (region.left - x0) / factor, top: (region.top - y0) / factor, width: region.width / factor, height: region.height / factor };
  return resampleWithTaps(reduced.data, reduced.width, reduced.height, inReduced, outWidth, outHeight, 1 / 255);
}
