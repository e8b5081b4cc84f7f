import { describe, expect, it } from 'vitest';
import { isBackgroundTile, stainedFraction, tileField } from '../../src/fields/index.ts';
import { resampleRegion } from '../../src/fields/resample.ts';
import { generateField, MASK_LABELS } from '../../src/synth/index.ts';
import { createRng } from '../../src/util/index.ts';

/** A photo whose red channel is x, green y and blue constant: each pixel tells where it came from. */
function coordinatePhoto(width: number, height: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      rgb[(y * width + x) * 3] = x;
      rgb[(y * width + x) * 3 + 1] = y;
      rgb[(y * width + x) * 3 + 2] = 200;
    }
  }
  return rgb;
}

describe('resampleRegion', () => {
  it('copies a whole-pixel region unchanged at scale 1', () => {
    const rgb = coordinatePhoto(50, 40);
    const out = resampleRegion(rgb, 50, 40, { left: 10, top: 5, width: 8, height: 6 }, 8, 6);
    for (let y = 0; y < 6; y++) {
      for (let x = 0; x < 8; x++) {
        expect(out[(y * 8 + x) * 3] * 255).toBeCloseTo(10 + x, 3);
        expect(out[(y * 8 + x) * 3 + 1] * 255).toBeCloseTo(5 + y, 3);
      }
    }
  });

  it('keeps a linear ramp linear when shrinking (pixel centres map to region centres)', () => {
    const rgb = coordinatePhoto(200, 100);
    // 3x reduction (block pre-averaging path) and 1.6x (direct taps).
    for (const factor of [3, 1.6]) {
      const out = resampleRegion(rgb, 200, 100, { left: 20, top: 10, width: 30 * factor, height: 20 * factor }, 30, 20);
      // Within 0.1 px: discrete triangle taps are not exactly centred on a fractional position.
      for (const [x, y] of [[0, 0], [14, 9], [29, 19]]) {
        expect(Math.abs(out[(y * 30 + x) * 3] * 255 - (20 + (x + 0.5) * factor - 0.5))).toBeLessThan(0.1);
        expect(Math.abs(out[(y * 30 + x) * 3 + 1] * 255 - (10 + (y + 0.5) * factor - 0.5))).toBeLessThan(0.1);
      }
    }
  });

  it('averages a one-pixel checkerboard to flat grey instead of aliasing it', () => {
    const rgb = new Uint8Array(64 * 64 * 3);
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) rgb.fill((x + y) % 2 ? 255 : 0, (y * 64 + x) * 3, (y * 64 + x) * 3 + 3);
    for (const size of [16, 25]) {
      const out = resampleRegion(rgb, 64, 64, { left: 0, top: 0, width: 64, height: 64 }, size, size);
      const inner = Array.from({ length: size - 2 }, (_, i) => out[((i + 1) * size + size / 2) * 3 | 0]);
      for (const v of inner) expect(v).toBeCloseTo(0.5, 1);
    }
  });
});

describe('tileField', () => {
  it('lays an overlapping grid over the whole photo when there is no field of view', () => {
    const rgb = coordinatePhoto(200, 120);
    const { tiles, rows, columns, scale } = tileField(rgb, 200, 120, { tileSizePx: 40, overlap: 0.25, fill: [1, 1, 1] });
    expect(scale).toBe(1);
    // Stride 30: floor((200 - 40) / 30) + 1 = 6 columns, floor((120 - 40) / 30) + 1 = 3 rows.
    expect([columns, rows, tiles.length]).toEqual([6, 3, 18]);
    const first = tiles[0];
    expect(first.rgb.length).toBe(40 * 40 * 3);
    expect(first.rgb[0] * 255).toBeCloseTo(first.x, 3);
    expect(first.rgb[1] * 255).toBeCloseTo(first.y, 3);
    expect(tiles[1].x - tiles[0].x).toBeCloseTo(30, 0);
  });

  it('resamples to the model scale: half the px/µm means tiles twice as wide in the photo', () => {
    const rgb = coordinatePhoto(240, 240);
    const { tiles, scale } = tileField(rgb, 240, 240, { tileSizePx: 32, overlap: 0, targetPxPerUm: 4, sourcePxPerUm: 8, fill: [1, 1, 1] });
    expect(scale).toBe(0.5);
    expect(tiles.every((t) => t.sourceSize === 64 && t.size === 32)).toBe(true);
    expect(tiles.length).toBe(9);
    const t = tiles[4];
    // Output pixel (i, j) covers photo pixels x + 2i .. x + 2i + 2: centre x + 2i + 0.5.
    expect(t.rgb[(5 * 32 + 7) * 3] * 255).toBeCloseTo(t.x + 2 * 7 + 0.5, 1);
    expect(t.rgb[(5 * 32 + 7) * 3 + 1] * 255).toBeCloseTo(t.y + 2 * 5 + 0.5, 1);
  });

  it('keeps only tiles mostly inside the field and paints what lies outside with the fill colour', () => {
    const rgb = coordinatePhoto(400, 300);
    const fov = { cx: 200, cy: 150, r: 140 };
    const { tiles } = tileField(rgb, 400, 300, { fov, tileSizePx: 50, overlap: 0.5, minInside: 0.8, fill: [0, 0, 1] });
    expect(tiles.length).toBeGreaterThan(8);
    let painted = 0;
    for (const t of tiles) {
      expect(t.insideFraction).toBeGreaterThanOrEqual(0.8);
      const corners = [[t.x, t.y], [t.x + 50, t.y], [t.x, t.y + 50], [t.x + 50, t.y + 50]];
      const farthest = Math.max(...corners.map(([x, y]) => Math.hypot(x - 200, y - 150)));
      if (farthest > 141) {
        // A corner pixel outside the disc carries the fill colour.
        const outside = corners.findIndex(([x, y]) => Math.hypot(x - 200, y - 150) === farthest);
        const px = outside % 2 === 0 ? 0 : 49;
        const py = outside < 2 ? 0 : 49;
        expect(Array.from(t.rgb.subarray((py * 50 + px) * 3, (py * 50 + px) * 3 + 3))).toEqual([0, 0, 1]);
        painted++;
      }
    }
    expect(painted).toBeGreaterThan(0);
  });

  it('rejects bad options', () => {
    const rgb = coordinatePhoto(10, 10);
    expect(() => tileField(rgb, 10, 10, { tileSizePx: 0 })).toThrow(/tileSizePx/);
    expect(() => tileField(rgb, 10, 10, { tileSizePx: 4, overlap: 1 })).toThrow(/overlap/);
    expect(() => tileField(rgb, 10, 10, { tileSizePx: 4, sourcePxPerUm: -1 })).toThrow(/sourcePxPerUm/);
  });
});

describe('isBackgroundTile', () => {
  const size = 64;
  function tileWith(spots: Array<[number, number, number]>, seed = 1): { rgb: Float32Array; size: number } {
    const rng = createRng(seed);
    const rgb = new Float32Array(size * size * 3);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const inSpot = spots.some(([sx, sy, r]) => (x - sx) ** 2 + (y - sy) ** 2 <= r * r);
        const base = inSpot ? [0.35, 0.15, 0.5] : [0.88, 0.8, 0.86];
        for (let c = 0; c < 3; c++) rgb[(y * size + x) * 3 + c] = base[c] + 0.015 * rng.normal();
      }
    }
    return { rgb, size };
  }

  it('calls empty noisy glass background and a tile with one small coccus not', () => {
    expect(isBackgroundTile(tileWith([]))).toBe(true);
    expect(stainedFraction(tileWith([]))).toBe(0);
    const coccus = tileWith([[30, 30, 3]]);
    expect(stainedFraction(coccus)).toBeGreaterThan(0.005);
    expect(isBackgroundTile(coccus)).toBe(false);
  });

  it('never skips a synthetic tile that holds organisms', () => {
    const field = generateField({ label: 'gnr', seed: 11, width: 640, height: 480, pxPerUm: 6 });
    const organism = (v: number): boolean => v >= 1 && v < MASK_LABELS.indexOf('host_cell');
    const { tiles } = tileField(field.rgb, field.width, field.height, { fov: field.eyepiece && { cx: field.eyepiece.cx, cy: field.eyepiece.cy, r: field.eyepiece.radius * 0.97 }, tileSizePx: 64 });
    let withOrganisms = 0;
    for (const t of tiles) {
      let count = 0;
      for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) if (organism(field.mask[(Math.round(t.y) + y) * field.width + Math.round(t.x) + x])) count++;
      if (count < 20) continue;
      withOrganisms++;
      expect(isBackgroundTile(t)).toBe(false);
    }
    expect(withOrganisms).toBeGreaterThan(5);
  });
});
