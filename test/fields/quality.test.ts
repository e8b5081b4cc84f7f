import { SHARED_DATASETS } from '../shared-data.ts';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assessQuality, decodePhoto } from '../../src/fields/index.ts';
import { edgeSharpness } from '../../src/fields/quality.ts';
import { createRng } from '../../src/util/index.ts';

const GRAMSTAINR = join(SHARED_DATASETS, 'gramstainr');

/** A grey image with a vertical step edge at x = 32, optionally blurred by a Gaussian of `sigma` px. */
function stepEdge(sigma: number): { data: Float32Array; width: number; height: number } {
  const size = 64;
  const data = new Float32Array(size * size);
  const erf = (x: number): number => {
    // Abramowitz-Stegun 7.1.26, plenty for a test image.
    const t = 1 / (1 + 0.3275911 * Math.abs(x));
    const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
    return Math.sign(x) * y;
  };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const d = x + 0.5 - 32;
      data[y * size + x] = 0.2 + 0.6 * (sigma === 0 ? (d > 0 ? 1 : 0) : 0.5 * (1 + erf(d / (sigma * Math.SQRT2))));
    }
  }
  return { data, width: size, height: size };
}

/** A lit disc (r 250 in 640 x 600) of pale glass with dark round cells of `cellDiameter` px on a black surround. */
function eyepiecePhoto(options: { glass?: number; cellDiameter?: number; dark?: boolean } = {}): Uint8Array {
  const { glass = 215, cellDiameter = 7, dark = false } = options;
  const width = 640;
  const height = 600;
  const rng = createRng(4);
  const cells = Array.from({ length: 400 }, () => ({ x: rng.uniform(100, 540), y: rng.uniform(80, 520) }));
  const rgb = new Uint8Array(width * height * 3);
  const r = cellDiameter / 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const lit = !dark && (x - 320) ** 2 + (y - 300) ** 2 <= 250 ** 2;
      const cell = lit && cells.some((c) => (x + 0.5 - c.x) ** 2 + (y + 0.5 - c.y) ** 2 <= r * r);
      const level = !lit ? 4 : cell ? 0.35 * glass : glass;
      for (let c = 0; c < 3; c++) rgb[(y * width + x) * 3 + c] = Math.min(255, Math.max(0, Math.round(level + 3 * rng.normal())));
    }
  }
  return rgb;
}

/** A separable Gaussian blur of an interleaved RGB image (edges repeated). */
function gaussianBlur(rgb: Uint8Array, width: number, height: number, sigma: number): Uint8Array {
  const radius = Math.ceil(3 * sigma);
  const weights = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const total = weights.reduce((a, b) => a + b);
  const pass = (source: ArrayLike<number>, horizontal: boolean): Float32Array => {
    const out = new Float32Array(source.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < 3; c++) {
          let sum = 0;
          for (let i = -radius; i <= radius; i++) {
            const sx = horizontal ? Math.min(width - 1, Math.max(0, x + i)) : x;
            const sy = horizontal ? y : Math.min(height - 1, Math.max(0, y + i));
            sum += weights[i + radius] * source[(sy * width + sx) * 3 + c];
          }
          out[(y * width + x) * 3 + c] = sum / total;
        }
      }
    }
    return out;
  };
  return Uint8Array.from(pass(pass(rgb, true), false), (v) => Math.round(v));
}

describe('edgeSharpness', () => {
  it('is 0.375 for a perfect step (after its 3 x 3 smoothing) and falls as blur widens the edge', () => {
    const perfect = edgeSharpness(stepEdge(0), 32, 32, 30);
    const slight = edgeSharpness(stepEdge(0.7), 32, 32, 30);
    const blurred = edgeSharpness(stepEdge(2.5), 32, 32, 30);
    expect(perfect).toBeCloseTo(0.375, 5);
    expect(slight).toBeLessThan(perfect);
    expect(blurred).toBeLessThan(0.2);
    // Contrast does not matter: the gradient is divided by the local range.
    const faint = stepEdge(0.7);
    for (let i = 0; i < faint.data.length; i++) faint.data[i] = 0.5 + 0.1 * faint.data[i];
    expect(edgeSharpness(faint, 32, 32, 30)).toBeCloseTo(slight, 5);
  });
});

describe('assessQuality', () => {
  it('passes a sharp, well-exposed field and reports its measures', () => {
    const report = assessQuality(eyepiecePhoto(), 640, 600);
    expect(report.reasons).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.fov!.r).toBeCloseTo(250, -1);
    expect(report.measures.fovFraction).toBeCloseTo((Math.PI * 250 ** 2) / (640 * 600), 1);
    expect(report.measures.clippedFraction).toBe(0);
    expect(report.measures.objectScalePx).toBeGreaterThan(5);
    expect(report.measures.objectScalePx).toBeLessThan(9);
    expect(report.measures.magnification).toBeNull();
  });

  it('flags a dark photo, an overexposed one and one with no lit field', () => {
    expect(assessQuality(eyepiecePhoto({ glass: 70 }), 640, 600).reasons).toEqual(['too dark']);
    expect(assessQuality(eyepiecePhoto({ glass: 300 }), 640, 600).reasons).toContain('too bright');
    expect(assessQuality(eyepiecePhoto({ dark: true }), 640, 600).reasons).toEqual(['no field of view', 'too dark']);
  });

  it('checks the magnification against the configured px/µm', () => {
    // 7 px cells read as ~0.74 µm objects at 9 px/µm; at 30 px/µm they would be far too small, at 2 far too big.
    const photo = eyepiecePhoto();
    expect(assessQuality(photo, 640, 600, { pxPerUm: 9 }).measures.magnification).toBeCloseTo(1, 0);
    expect(assessQuality(photo, 640, 600, { pxPerUm: 30 }).reasons).toContain('magnification too low');
    expect(assessQuality(photo, 640, 600, { pxPerUm: 2 }).reasons).toContain('magnification too high');
    expect(() => assessQuality(photo, 640, 600, { pxPerUm: 0 })).toThrow(/pxPerUm/);
  });

  it('says only "out of focus" for a blurred photo whose smeared objects read as too large', () => {
    // 9 px cells at 4 px/µm read at 2.8× (within limits); a Gaussian blur of 4 px spreads them to over 3×.
    const sharp = eyepiecePhoto({ cellDiameter: 9 });
    expect(assessQuality(sharp, 640, 600, { pxPerUm: 4 }).reasons).toEqual([]);
    const blurred = assessQuality(gaussianBlur(sharp, 640, 600, 4), 640, 600, { pxPerUm: 4 });
    expect(blurred.measures.magnification).toBeGreaterThan(3);
    expect(blurred.reasons).toEqual(['out of focus']);
  });

  it.skipIf(!existsSync(GRAMSTAINR))('passes real GramStainR photos (one per collection)', async () => {
    for (const group of ['clinical/Escherichia_coli', 'reference/Pseudomonas_aeruginosa', 'dibas/Bacteroides_fragilis']) {
      const folder = join(GRAMSTAINR, group);
      const { rgb, width, height } = await decodePhoto(readFileSync(join(folder, readdirSync(folder).sort()[0])));
      const report = assessQuality(rgb, width, height);
      expect(report.reasons, group).toEqual([]);
      expect(report.measures.fovFraction).toBe(1);
    }
  });
});
