import { valueNoise } from './noise.ts';
import type { Shape } from './shapes.ts';
import type { Rgb } from './stain.ts';

/** Optical density image (RGB interleaved) being painted, with its label mask. */
export interface Canvas {
  width: number;
  height: number;
  od: Float32Array;
  mask: Uint8Array;
  /** Mask is written only inside this circle (the eyepiece), when set. */
  visible: { cx: number; cy: number; radius: number } | null;
}

/** One stained body: a coccus, a rod, a yeast cell, a nucleus lobe, a debris particle. */
export interface Cell {
  shape: Shape;
  stain: Rgb;
  /** Multiplier on the stain (cell thickness and stain uptake). */
  density: number;
  /** A paler region inside the cell: a spore (clearing ~0.9) or bipolar staining (~0.4). */
  hole?: { shape: Shape; clearing: number };
  /** Uneven uptake: 0 = uniform, 1 = strongly blotchy; scale of the blotches in px. */
  mottle?: { amount: number; scale: number; seed: number };
}

/** Pixel bounding box [x0, y0, x1, y1], inclusive-exclusive. */
export type PixelBox = [number, number, number, number];

export function createCanvas(width: number, height: number): Canvas {
  return { width, height, od: new Float32Array(width * height * 3), mask: new Uint8Array(width * height), visible: null };
}

function clampRange(lo: number, hi: number, size: number): [number, number] {
  return [Math.max(0, Math.floor(lo - 1)), Math.min(size, Math.ceil(hi + 1))];
}

export function growBox(box: PixelBox | null, other: PixelBox | null): PixelBox | null {
  if (!box) return other;
  if (!other) return box;
  return [Math.min(box[0], other[0]), Math.min(box[1], other[1]), Math.max(box[2], other[2]), Math.max(box[3], other[3])];
}

/**
 * Adds a cell's stain to the canvas with 1 px antialiasing and a thickness profile (denser in the
 * middle), writes maskValue where the cell covers at least half a pixel, and returns the box of
 * those mask pixels (null if none are in view).
 */
export function paintCell(canvas: Canvas, cell: Cell, maskValue: number): PixelBox | null {
  const { width, height, od, mask, visible } = canvas;
  const { shape, stain, density, hole, mottle } = cell;
  const [x0, x1] = clampRange(shape.x0, shape.x1, width);
  const [y0, y1] = clampRange(shape.y0, shape.y1, height);
  const halfWidth = Math.max(shape.halfWidth, 0.5);
  let bx0 = width;
  let by0 = height;
  let bx1 = -1;
  let by1 = -1;
  for (let y = y0; y < y1; y++) {
    const py = y + 0.5;
    for (let x = x0; x < x1; x++) {
      const px = x + 0.5;
      const d = shape.sdf(px, py);
      if (d >= 0.5) continue;
      const coverage = Math.min(1, 0.5 - d);
      let amount = coverage * density * (0.55 + 0.45 * Math.sqrt(Math.min(1, Math.max(0, -d) / halfWidth)));
      if (hole) amount *= 1 - hole.clearing * Math.min(1, Math.max(0, 0.5 - hole.shape.sdf(px, py)));
      if (mottle) amount *= 1 - mottle.amount * valueNoise(px / mottle.scale, py / mottle.scale, mottle.seed);
      const i = y * width + x;
      od[i * 3] += stain[0] * amount;
      od[i * 3 + 1] += stain[1] * amount;
      od[i * 3 + 2] += stain[2] * amount;
      if (maskValue > 0 && coverage >= 0.5 && (!visible || Math.hypot(px - visible.cx, py - visible.cy) < visible.radius)) {
        mask[i] = maskValue;
        if (x < bx0) bx0 = x;
        if (x > bx1) bx1 = x;
        if (y < by0) by0 = y;
        by1 = y;
      }
    }
  }
  return bx1 < 0 ? null : [bx0, by0, bx1 + 1, by1 + 1];
}

/** Lowers the optical density already painted inside a shape (the clear capsule around pneumococci). */
export function clearInside(canvas: Canvas, shape: Shape, clearing: number): void {
  const { width, height, od } = canvas;
  const [x0, x1] = clampRange(shape.x0, shape.x1, width);
  const [y0, y1] = clampRange(shape.y0, shape.y1, height);
  const softness = Math.max(1, shape.halfWidth * 0.25);
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const d = shape.sdf(x + 0.5, y + 0.5);
      if (d >= softness) continue;
      const keep = 1 - clearing * Math.min(1, (softness - d) / (2 * softness));
      const i = (y * width + x) * 3;
      od[i] *= keep;
      od[i + 1] *= keep;
      od[i + 2] *= keep;
    }
  }
}
