import { quantile } from '../preprocess/index.ts';
import { wholeFrame, type FieldOfView } from './fov.ts';
import { checkRgb, histogram, histogramQuantile, LUMA_WEIGHTS } from './image.ts';
import { BACKGROUND_QUANTILE } from './objects.ts';
import { resampleRegion } from './resample.ts';

export type Rgb = [number, number, number];

export interface TileFieldOptions {
  /** The field of view; null or absent tiles the whole photo. */
  fov?: FieldOfView | null;
  /** Side of each tile in output pixels (the model's input size). */
  tileSizePx: number;
  /** Share of a tile shared with its neighbour, 0 <= overlap < 1. Default 0.25. */
  overlap?: number;
  /** The model's training scale and the photo's scale (px/µm); the photo is resampled by target / source when both are given. */
  targetPxPerUm?: number;
  sourcePxPerUm?: number;
  /** Least share of a tile's area inside the field of view. Default 0.9. */
  minInside?: number;
  /** Colour (0..1) given to tile pixels outside the field of view; default the field's background colour. */
  fill?: Rgb;
}

export interface Tile {
  /** Float32 RGB in 0..1, size x size x 3 (HWC). */
  rgb: Float32Array;
  size: number;
  /** Top-left corner and side of the tile in photo pixels. */
  x: number;
  y: number;
  sourceSize: number;
  row: number;
  column: number;
  /** Share of the tile inside the field of view. */
  insideFraction: number;
}

export interface TiledField {
  tiles: Tile[];
  /** Output pixels per photo pixel. */
  scale: number;
  rows: number;
  columns: number;
  /** Colour (0..1) put outside the field of view. */
  fill: Rgb;
}

/** Points per side of the grid on which a tile's share inside the field is counted. */
const INSIDE_SAMPLES = 8;

/** Share of a square's area (left, top, side) inside the disc and the photo, on a grid of sample points. */
export function insideShare(fov: FieldOfView, width: number, height: number, left: number, top: number, side: number): number {
  let inside = 0;
  for (let j = 0; j < INSIDE_SAMPLES; j++) {
    const y = top + ((j + 0.5) / INSIDE_SAMPLES) * side;
    for (let i = 0; i < INSIDE_SAMPLES; i++) {
      const x = left + ((i + 0.5) / INSIDE_SAMPLES) * side;
      if (x >= 0 && y >= 0 && x < width && y < height && (x - fov.cx) ** 2 + (y - fov.cy) ** 2 <= fov.r * fov.r) inside++;
    }
  }
  return inside / INSIDE_SAMPLES ** 2;
}

/**
 * The colour of the clear background inside the field: the mean of the sampled pixels whose
 * luminance is in the top (1 - BACKGROUND_QUANTILE) of the field, as 0..1 RGB.
 */
export function estimateBackgroundColour(rgb: Uint8Array, width: number, height: number, fov: FieldOfView): Rgb {
  const stride = Math.max(1, Math.round(Math.sqrt((width * height) / 40_000)));
  const samples: number[] = [];
  const luminance: number[] = [];
  const inner = fov.r * 0.9;
  for (let y = stride >> 1; y < height; y += stride) {
    for (let x = stride >> 1; x < width; x += stride) {
      if ((x + 0.5 - fov.cx) ** 2 + (y + 0.5 - fov.cy) ** 2 > inner * inner) continue;
      const i = (y * width + x) * 3;
      samples.push(i);
      luminance.push(LUMA_WEIGHTS[0] * rgb[i] + LUMA_WEIGHTS[1] * rgb[i + 1] + LUMA_WEIGHTS[2] * rgb[i + 2]);
    }
  }
  if (samples.length === 0) return [1, 1, 1];
  const cut = quantile(luminance, BACKGROUND_QUANTILE);
  const sum: Rgb = [0, 0, 0];
  let n = 0;
  for (let k = 0; k < samples.length; k++) {
    if (luminance[k] < cut) continue;
    for (let c = 0; c < 3; c++) sum[c] += rgb[samples[k] + c];
    n++;
  }
  return [sum[0] / n / 255, sum[1] / n / 255, sum[2] / n / 255];
}

/** Start offsets along one axis: as many windows of `size` every `stride` as fit in [from, to], centred. */
function gridStarts(from: number, to: number, size: number, stride: number): number[] {
  const span = to - from;
  if (span < size) return [];
  const count = Math.floor((span - size) / stride + 1e-9) + 1;
  const margin = (span - size - (count - 1) * stride) / 2;
  return Array.from({ length: count }, (_, i) => from + margin + i * stride);
}

function checkOptions(options: TileFieldOptions): void {
  const { tileSizePx, overlap = 0.25, targetPxPerUm, sourcePxPerUm, minInside = 0.9 } = options;
  if (!(Number.isInteger(tileSizePx) && tileSizePx > 0)) throw new Error(`tileSizePx must be a positive integer (got ${tileSizePx})`);
  if (!(overlap >= 0 && overlap < 1)) throw new Error(`overlap must be in [0, 1) (got ${overlap})`);
  if (!(minInside > 0 && minInside <= 1)) throw new Error(`minInside must be in (0, 1] (got ${minInside})`);
  for (const [name, value] of [['targetPxPerUm', targetPxPerUm], ['sourcePxPerUm', sourcePxPerUm]] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new Error(`${name} must be a positive number (got ${value})`);
  }
}

/**
 * Cuts a photo into overlapping square tiles at the model's physical scale: the photo is resampled
 * by targetPxPerUm / sourcePxPerUm (when both are known), a grid centred on the field of view is
 * laid over it, and only tiles at least minInside within the field are kept; their pixels outside
 * the field get the background colour.
 */
export function tileField(rgb: Uint8Array, width: number, height: number, options: TileFieldOptions): TiledField {
  checkRgb(rgb, width, height);
  checkOptions(options);
  const { tileSizePx, overlap = 0.25, targetPxPerUm, sourcePxPerUm, minInside = 0.9 } = options;
  const fov = options.fov ?? wholeFrame(width, height);
  const scale = targetPxPerUm !== undefined && sourcePxPerUm !== undefined ? targetPxPerUm / sourcePxPerUm : 1;
  const sourceSize = tileSizePx / scale;
  const stride = sourceSize * (1 - overlap);
  const fill = options.fill ?? estimateBackgroundColour(rgb, width, height, fov);

  const xs = gridStarts(Math.max(0, fov.cx - fov.r), Math.min(width, fov.cx + fov.r), sourceSize, stride);
  const ys = gridStarts(Math.max(0, fov.cy - fov.r), Math.min(height, fov.cy + fov.r), sourceSize, stride);
  const kept: Array<Omit<Tile, 'rgb' | 'size' | 'sourceSize'>> = [];
  ys.forEach((y, row) =>
    xs.forEach((x, column) => {
      const insideFraction = insideShare(fov, width, height, x, y, sourceSize);
      if (insideFraction >= minInside) kept.push({ x, y, row, column, insideFraction });
    }),
  );
  if (kept.length === 0) return { tiles: [], scale, rows: ys.length, columns: xs.length, fill };

  // Resample once the box holding every kept tile, then cut the tiles out of it.
  const left = Math.floor(Math.min(...kept.map((t) => t.x)));
  const top = Math.floor(Math.min(...kept.map((t) => t.y)));
  const outWidth = Math.round((Math.max(...kept.map((t) => t.x)) - left) * scale) + tileSizePx;
  const outHeight = Math.round((Math.max(...kept.map((t) => t.y)) - top) * scale) + tileSizePx;
  const box = resampleRegion(rgb, width, height, { left, top, width: outWidth / scale, height: outHeight / scale }, outWidth, outHeight);

  const tiles = kept.map((placed): Tile => {
    const offsetX = Math.round((placed.x - left) * scale);
    const offsetY = Math.round((placed.y - top) * scale);
    const tile = new Float32Array(tileSizePx * tileSizePx * 3);
    for (let ty = 0; ty < tileSizePx; ty++) {
      const from = ((offsetY + ty) * outWidth + offsetX) * 3;
      tile.set(box.subarray(from, from + tileSizePx * 3), ty * tileSizePx * 3);
    }
    const x = left + offsetX / scale;
    const y = top + offsetY / scale;
    if (reachesOutside(fov, x, y, sourceSize)) paintOutside(tile, tileSizePx, fov, x, y, 1 / scale, fill);
    return { rgb: tile, size: tileSizePx, x, y, sourceSize, row: placed.row, column: placed.column, insideFraction: placed.insideFraction };
  });
  return { tiles, scale, rows: ys.length, columns: xs.length, fill };
}

/** Whether a square (left, top, side) has a corner outside the disc. */
function reachesOutside(fov: FieldOfView, left: number, top: number, side: number): boolean {
  const dx = Math.max(Math.abs(left - fov.cx), Math.abs(left + side - fov.cx));
  const dy = Math.max(Math.abs(top - fov.cy), Math.abs(top + side - fov.cy));
  return dx * dx + dy * dy > fov.r * fov.r;
}

/** Paints the tile pixels whose centres fall outside the disc (tile at x, y; `step` photo pixels per tile pixel). */
function paintOutside(tile: Float32Array, size: number, fov: FieldOfView, x: number, y: number, step: number, fill: Rgb): void {
  for (let ty = 0; ty < size; ty++) {
    const dy = y + (ty + 0.5) * step - fov.cy;
    for (let tx = 0; tx < size; tx++) {
      const dx = x + (tx + 0.5) * step - fov.cx;
      if (dx * dx + dy * dy <= fov.r * fov.r) continue;
      const i = (ty * size + tx) * 3;
      tile[i] = fill[0];
      tile[i + 1] = fill[1];
      tile[i + 2] = fill[2];
    }
  }
}

/**
 * A tile pixel is stained when some channel transmits less than this share of the tile's background
 * in that channel. Per channel, so pale pink organisms on a yellowish background count (they
 * absorb green while barely darkening the luminance); looser than the object measure's cut so faint
 * organisms still count.
 */
export const TILE_STAINED_RATIO = 0.75;
/** Default least share of stained pixels (18 px of a 96 px tile, a third of a coccus at 9 px/µm). */
export const MIN_STAINED_FRACTION = 0.002;

export interface BackgroundTileOptions {
  /** A tile with fewer stained pixels than this share is background. Default MIN_STAINED_FRACTION. */
  minStainedFraction?: number;
}

/**
 * Whether a tile shows no stained objects: fewer than minStainedFraction of its pixels are stained
 * (see stainedFraction). Cheap enough to run on every tile before the model.
 */
export function isBackgroundTile(tile: Pick<Tile, 'rgb' | 'size'>, options: BackgroundTileOptions = {}): boolean {
  return stainedFraction(tile) < (options.minStainedFraction ?? MIN_STAINED_FRACTION);
}

/**
 * Share of a tile's pixels with a channel below TILE_STAINED_RATIO of the tile's background in that
 * channel (its BACKGROUND_QUANTILE).
 */
export function stainedFraction(tile: Pick<Tile, 'rgb' | 'size'>): number {
  const n = tile.size * tile.size;
  const channel = new Float32Array(n);
  const limits = [0, 1, 2].map((c) => {
    for (let p = 0; p < n; p++) channel[p] = tile.rgb[3 * p + c];
    return histogramQuantile(histogram(channel), BACKGROUND_QUANTILE) * TILE_STAINED_RATIO;
  });
  let stained = 0;
  for (let p = 0, i = 0; p < n; p++, i += 3) {
    if (tile.rgb[i] < limits[0] || tile.rgb[i + 1] < limits[1] || tile.rgb[i + 2] < limits[2]) stained++;
  }
  return stained / n;
}
