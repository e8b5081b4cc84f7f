import type { LegendEntry } from '../contract/index.ts';
import { applyColourMap, upsampleBilinear, type Heatmap } from '../explain/portable.ts';
import type { TileClassCount } from '../fields/portable.ts';

/** Longest side of the tile map and of the field heatmap layer. */
const TILE_MAP_MAX_SIDE = 1600;
const FIELD_HEATMAP_MAX_SIDE = 768;
/**
 * Colour-blind-friendly colours (Okabe–Ito and Tol's wine, then more of Tol's muted) for the
 * morphotypes, in class order; the background class is grey. The order is chosen for the Gram-stain
 * classes in their usual order (GPC clusters, chains, diplococci, GPR, GNR, GNC, yeast,
 * polymicrobial): of every order of these eight colours, it keeps the pairs a technician confuses
 * (GNR and GPC chains, the three GPC, GPC diplococci and GNC, GPR and GNR, ...) furthest apart in
 * normal vision and in simulated protanopia, deuteranopia and tritanopia (CIELAB distance ≥ 33).
 */
export const TILE_PALETTE = ['#F0E442', '#56B4E9', '#D55E00', '#882255', '#E69F00', '#009E73', '#CC79A7', '#0072B2', '#44AA99', '#117733', '#332288', '#AA4499'];
export const BACKGROUND_TILE_COLOUR = '#9E9E9E';
/** Opacity of organism-free tiles on the tile map, relative to morphotype tiles of the same probability. */
export const BACKGROUND_TILE_ALPHA = 0.35;

export interface TileSquare {
  x: number;
  y: number;
  size: number;
}

/** A tile of a field as the tile map draws it. */
export interface MappedTile extends TileSquare {
  /** Top class and its probability. */
  label: string;
  probability: number;
  /** Not sent to the model (no stained objects on it): left clear. */
  background: boolean;
}

/** A transparent layer over a photo, as RGBA pixels (the page draws them, the server encodes them as PNG). */
export interface RgbaLayer {
  rgba: Uint8Array;
  width: number;
  height: number;
  /** Layer pixels per photo pixel. */
  scale: number;
}

/** Colour per class: the palette in class order for morphotypes, grey for the background class. */
export function classColours(classes: readonly string[], backgroundClass: string): Map<string, string> {
  const colours = new Map<string, string>();
  let next = 0;
  for (const name of classes) colours.set(name, name === backgroundClass ? BACKGROUND_TILE_COLOUR : TILE_PALETTE[next++ % TILE_PALETTE.length]);
  return colours;
}

function hexToRgb(hex: string): [number, number, number] {
  const value = Number.parseInt(hex.slice(1), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

/**
 * Which tile each layer pixel belongs to (-1: none): among the tiles covering it, the one whose
 * centre is nearest, so overlapping tiles of a grid split their overlap down the middle and the map
 * is a mosaic of squares. `scale` is layer pixels per photo pixel.
 */
export function tileOwners(tiles: readonly TileSquare[], width: number, height: number, scale: number): Int32Array {
  const owners = new Int32Array(width * height).fill(-1);
  const distance = new Float32Array(width * height).fill(Infinity);
  tiles.forEach((tile, index) => {
    const cx = (tile.x + tile.size / 2) * scale;
    const cy = (tile.y + tile.size / 2) * scale;
    const half = (tile.size / 2) * scale;
    const x0 = Math.max(0, Math.floor(cx - half));
    const x1 = Math.min(width, Math.ceil(cx + half));
    const y0 = Math.max(0, Math.floor(cy - half));
    const y1 = Math.min(height, Math.ceil(cy + half));
    for (let y = y0; y < y1; y++) {
      const dy = Math.abs(y + 0.5 - cy);
      if (dy > half) continue;
      for (let x = x0; x < x1; x++) {
        const dx = Math.abs(x + 0.5 - cx);
        const d = dx * dx + dy * dy;
        const p = y * width + x;
        if (dx <= half && d < distance[p]) {
          distance[p] = d;
          owners[p] = index;
        }
      }
    }
  });
  return owners;
}

function layerSize(width: number, height: number, maxSide: number): { width: number; height: number; scale: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)), scale };
}

/**
 * The tile map: each inferred tile's square in its class colour with alpha = probability (organism-free
 * tiles grey at BACKGROUND_TILE_ALPHA of that); tiles not sent to the model and the rest transparent.
 */
export function tileMapLayer(tiles: readonly MappedTile[], photoWidth: number, photoHeight: number, colours: ReadonlyMap<string, string>, maxSide = TILE_MAP_MAX_SIDE): RgbaLayer {
  const { width, height, scale } = layerSize(photoWidth, photoHeight, maxSide);
  const owners = tileOwners(tiles, width, height, scale);
  const paint = tiles.map((tile) => {
    if (tile.background) return null;
    const colour = colours.get(tile.label) ?? BACKGROUND_TILE_COLOUR;
    // Organism-free tiles stay faint so that the morphotypes stand out.
    const alpha = 255 * tile.probability * (colour === BACKGROUND_TILE_COLOUR ? BACKGROUND_TILE_ALPHA : 1);
    return [...hexToRgb(colour), Math.round(alpha)];
  });
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < owners.length; p++) {
    const colour = owners[p] >= 0 ? paint[owners[p]] : null;
    if (!colour) continue;
    rgba[p * 4] = colour[0];
    rgba[p * 4 + 1] = colour[1];
    rgba[p * 4 + 2] = colour[2];
    rgba[p * 4 + 3] = colour[3];
  }
  return { rgba, width, height, scale };
}

/**
 * One heatmap layer for the field from the tiles' CAMs (null for tiles not inferred): each tile's
 * map upsampled over its square, all divided by the largest value of the field (so tiles compare),
 * turbo colours, transparent outside the inferred tiles.
 */
export function fieldHeatmapLayer(tiles: readonly MappedTile[], cams: readonly (Heatmap | null)[], photoWidth: number, photoHeight: number, maxSide = FIELD_HEATMAP_MAX_SIDE): RgbaLayer {
  const { width, height, scale } = layerSize(photoWidth, photoHeight, maxSide);
  const owners = tileOwners(tiles, width, height, scale);
  let max = 0;
  for (const cam of cams) if (cam) for (const v of cam.map) max = Math.max(max, v);
  const upsampled = cams.map((cam, i) => {
    if (!cam) return null;
    const side = Math.max(1, Math.round(tiles[i].size * scale));
    return { side, map: upsampleBilinear(cam, side, side).map };
  });
  const values = new Float32Array(width * height);
  const inside = new Uint8Array(width * height);
  for (let p = 0; p < owners.length; p++) {
    const owner = owners[p];
    const cam = owner >= 0 ? upsampled[owner] : null;
    if (!cam) continue;
    const tile = tiles[owner];
    const tx = Math.min(cam.side - 1, Math.max(0, Math.floor((p % width) - tile.x * scale)));
    const ty = Math.min(cam.side - 1, Math.max(0, Math.floor(Math.floor(p / width) - tile.y * scale)));
    values[p] = max > 0 ? cam.map[ty * cam.side + tx] / max : 0;
    inside[p] = 1;
  }
  const rgb = applyColourMap(values, 'turbo');
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < inside.length; p++) {
    if (!inside[p]) continue;
    rgba.set(rgb.subarray(p * 3, p * 3 + 3), p * 4);
    rgba[p * 4 + 3] = 255;
  }
  return { rgba, width, height, scale };
}

/** Legend of the classes on the map from the field decision's tile counts (most tiles first), so that the map and the morphotypes share one count. */
export function tileLegend(counts: readonly TileClassCount[], colours: ReadonlyMap<string, string>): LegendEntry[] {
  return counts.map(({ label, tiles, confidentTiles }) => ({ label, colour: colours.get(label) ?? BACKGROUND_TILE_COLOUR, tiles, confidentTiles }));
}
