import { checkHeatmap, type Heatmap } from './types.ts';

/**
 * Source coordinate and blend weight along one axis for bilinear resizing with half-pixel centres
 * (OpenCV's INTER_LINEAR, TF's resizeBilinear with halfPixelCenters), clamped at the edges.
 */
function samplePositions(from: number, to: number): { lower: Int32Array; upper: Int32Array; weight: Float32Array } {
  const lower = new Int32Array(to);
  const upper = new Int32Array(to);
  const weight = new Float32Array(to);
  const scale = from / to;
  for (let i = 0; i < to; i++) {
    const source = Math.min(Math.max((i + 0.5) * scale - 0.5, 0), from - 1);
    lower[i] = Math.floor(source);
    upper[i] = Math.min(lower[i] + 1, from - 1);
    weight[i] = source - lower[i];
  }
  return { lower, upper, weight };
}

/** Resizes a map to height × width by bilinear interpolation (typically a CAM up to the photo's size). */
export function upsampleBilinear(heatmap: Heatmap, height: number, width: number): Heatmap {
  checkHeatmap(heatmap);
  if (!(Number.isInteger(height) && height > 0 && Number.isInteger(width) && width > 0)) {
    throw new Error(`target size must be positive integers, got ${height} × ${width}`);
  }
  const rows = samplePositions(heatmap.height, height);
  const cols = samplePositions(heatmap.width, width);
  const source = heatmap.map;
  const map = new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    const top = rows.lower[y] * heatmap.width;
    const bottom = rows.upper[y] * heatmap.width;
    const wy = rows.weight[y];
    for (let x = 0; x < width; x++) {
      const left = cols.lower[x];
      const right = cols.upper[x];
      const wx = cols.weight[x];
      const upperRow = source[top + left] + (source[top + right] - source[top + left]) * wx;
      const lowerRow = source[bottom + left] + (source[bottom + right] - source[bottom + left]) * wx;
      map[y * width + x] = upperRow + (lowerRow - upperRow) * wy;
    }
  }
  return { map, height, width };
}

/** Min-max scaling to [0, 1]; a constant map becomes all zeros (nothing stands out). */
export function normaliseHeatmap(heatmap: Heatmap): Heatmap {
  checkHeatmap(heatmap);
  let min = Infinity;
  let max = -Infinity;
  for (const v of heatmap.map) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = max - min;
  const map = range > 0 ? heatmap.map.map((v) => (v - min) / range) : new Float32Array(heatmap.map.length);
  return { map, height: heatmap.height, width: heatmap.width };
}

export interface HeatmapJson {
  width: number;
  height: number;
  /** Row-major, height × width. */
  values: number[];
}

/** JSON-serialisable form; values keep 6 significant digits (use the Float32 bytes for exact ones). */
export function heatmapToJson(heatmap: Heatmap): HeatmapJson {
  checkHeatmap(heatmap);
  return { width: heatmap.width, height: heatmap.height, values: Array.from(heatmap.map, (v) => Number(v.toPrecision(6))) };
}

/** The map as little-endian Float32, row-major height × width. */
export function heatmapToFloat32Bytes(heatmap: Heatmap): Uint8Array {
  checkHeatmap(heatmap);
  const bytes = new Uint8Array(heatmap.map.length * 4);
  const view = new DataView(bytes.buffer);
  heatmap.map.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return bytes;
}
