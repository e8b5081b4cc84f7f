import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLAUSIBLE_PX_PER_UM, TYPICAL_FIELD_UM, assessQuality, estimateScale, measureObjectScale, type QualityMeasures } from '../../src/fields/index.ts';
import { decodePhoto } from '../../src/fields/photo.ts';
import { createRng } from '../../src/util/index.ts';
import { SHARED_DATASETS } from '../shared-data.ts';

/**
 * A whole-frame photo of faint, blurred rods on a tinted background, like a phone photo of a culture
 * smear: `width` px wide rods (Gaussian-blurred, sigma `blur` px), absorbing `depth` of the green
 * light at their core, on glass of colour `glass`, with sensor noise.
 */
function faintRods(options: { width: number; blur: number; depth: number; glass: [number, number, number]; rods?: number; seed?: number }): { rgb: Uint8Array; w: number; h: number } {
  const w = 900;
  const h = 600;
  const rng = createRng(options.seed ?? 1);
  const od = new Float32Array(w * h);
  const length = options.width * 2.5;
  for (let k = 0; k < (options.rods ?? 60); k++) {
    const cx = rng.uniform(30, w - 30);
    const cy = rng.uniform(30, h - 30);
    const angle = rng.uniform(0, Math.PI);
    const [ux, uy] = [Math.cos(angle), Math.sin(angle)];
    for (let y = Math.floor(cy - length); y <= cy + length; y++) {
      for (let x = Math.floor(cx - length); x <= cx + length; x++) {
        const dx = x + 0.5 - cx;
        const dy = y + 0.5 - cy;
        const along = Math.max(0, Math.abs(dx * ux + dy * uy) - (length - options.width) / 2);
        const across = dx * -uy + dy * ux;
        if (Math.hypot(along, across) <= options.width / 2) od[y * w + x] = 1;
      }
    }
  }
  // Separable Gaussian blur of the rod mask.
  const radius = Math.ceil(3 * options.blur);
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * options.blur ** 2)));
  const sum = kernel.reduce((a, b) => a + b, 0);
  const pass = (src: Float32Array, dx: number, dy: number): Float32Array => {
    const out = new Float32Array(src.length);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let v = 0;
        for (let i = -radius; i <= radius; i++) {
          const xx = Math.min(w - 1, Math.max(0, x + i * dx));
          const yy = Math.min(h - 1, Math.max(0, y + i * dy));
          v += kernel[i + radius] * src[yy * w + xx];
        }
        out[y * w + x] = v / sum;
      }
    }
    return out;
  };
  const blurred = pass(pass(od, 1, 0), 0, 1);
  // A pink stain: absorbs green most, some blue, little red.
  const absorb = [0.25, 1, 0.55];
  const rgb = new Uint8Array(w * h * 3);
  for (let p = 0; p < w * h; p++) {
    for (let c = 0; c < 3; c++) {
      const transmitted = 1 - options.depth * absorb[c] * blurred[p];
      rgb[p * 3 + c] = Math.max(0, Math.min(255, Math.round(options.glass[c] * transmitted + 2.5 * rng.normal())));
    }
  }
  return { rgb, w, h };
}

const wholeFrame = (w: number, h: number) => ({ cx: w / 2, cy: h / 2, r: Math.hypot(w, h) / 2 });

describe('measureObjectScale on faint objects', () => {
  it('finds faint, blurred pink rods on lavender and on pale yellow glass, and reads their width at half maximum', () => {
    for (const glass of [[159, 146, 200], [223, 220, 187]] as [number, number, number][]) {
      // Rods 10 px wide absorbing only 35% of the green light at their core (a 20-50 level dip).
      const { rgb, w, h } = faintRods({ width: 10, blur: 2, depth: 0.35, glass });
      const scale = measureObjectScale(rgb, w, h, wholeFrame(w, h));
      // The windows inside 0.9 of the frame's half-diagonal see about a third of the 60 rods.
      expect(scale.objectCount).toBeGreaterThanOrEqual(12);
      expect(scale.widthPx).toBeGreaterThan(8);
      expect(scale.widthPx).toBeLessThan(12);
    }
  });

  it('reads about the same width whether the stain is faint or medium, and little more with blur', () => {
    // (Optical density is not linear in blurred light: very dark objects read a little wider.)
    const medium = measureObjectScale(...args(faintRods({ width: 12, blur: 1.5, depth: 0.5, glass: [230, 225, 235] })));
    const faint = measureObjectScale(...args(faintRods({ width: 12, blur: 1.5, depth: 0.2, glass: [230, 225, 235] })));
    const blurred = measureObjectScale(...args(faintRods({ width: 12, blur: 3.5, depth: 0.5, glass: [230, 225, 235] })));
    expect(Math.abs(faint.widthPx! - medium.widthPx!)).toBeLessThanOrEqual(1.5);
    expect(blurred.widthPx! / medium.widthPx!).toBeLessThan(1.3);
  });

  it('sees nothing on bare glass with sensor noise', () => {
    const { rgb, w, h } = faintRods({ width: 10, blur: 2, depth: 0.35, glass: [200, 190, 220], rods: 0 });
    expect(measureObjectScale(rgb, w, h, wholeFrame(w, h))).toEqual({ widthPx: null, objectCount: 0 });
  });
});

function args(photo: { rgb: Uint8Array; w: number; h: number }): [Uint8Array, number, number, ReturnType<typeof wholeFrame>] {
  return [photo.rgb, photo.w, photo.h, wholeFrame(photo.w, photo.h)];
}

describe('estimateScale', () => {
  const measures = (objectScalePx: number | null, objectCount: number, fovFraction = 1): QualityMeasures => ({
    sharpness: 0.3,
    meanLuminance: 0.7,
    backgroundLuminance: 0.8,
    clippedFraction: 0,
    fovFraction,
    objectScalePx,
    objectCount,
    magnification: null,
  });
  const frame = { cx: 1632, cy: 920, r: Math.hypot(3264, 1840) / 2 };

  it('reads the scale from the objects when it is plausible, and says when it rests on few objects', () => {
    const many = estimateScale(measures(11, 60), frame, 3264, 1840);
    expect(many.basis).toBe('objects');
    expect(many.pxPerUm).toBeCloseTo(20, 0);
    expect(many.warnings).toEqual([]);
    const few = estimateScale(measures(11, 9), frame, 3264, 1840);
    expect(few.pxPerUm).toBeCloseTo(20, 0);
    expect(few.warnings.join(' ')).toMatch(/only 9 stained objects: rough/);
  });

  it('refuses an implausible reading and falls back on the size of the field of view, saying it is a guess', () => {
    const tiny = estimateScale(measures(1, 40), frame, 3264, 1840);
    expect(tiny.fromObjects).toBeLessThan(PLAUSIBLE_PX_PER_UM[0]);
    expect(tiny.basis).toBe('field of view');
    expect(tiny.pxPerUm).toBeCloseTo(Math.hypot(3264, 1840) / TYPICAL_FIELD_UM, 6);
    expect(tiny.warnings.join(' ')).toMatch(/outside the plausible 5–40 px\/µm.*not used/);
    expect(tiny.warnings.join(' ')).toMatch(/a guess from the size of the field of view/);
    // An eyepiece circle 1100 px across: 5.5 px/µm if it spans 200 µm.
    const circle = estimateScale(measures(null, 2, 0.4), { cx: 800, cy: 600, r: 550 }, 1600, 1200);
    expect(circle).toMatchObject({ basis: 'field of view', pxPerUm: 5.5 });
    expect(estimateScale(measures(null, 2, 0.4), { cx: 800, cy: 600, r: 550 }, 1600, 1200, { guessFromFieldOfView: false })).toMatchObject({ basis: 'none', pxPerUm: null });
    expect(estimateScale(measures(null, 0, 0), null, 1600, 1200)).toMatchObject({ basis: 'none', pxPerUm: null });
  });

  it('warns when the reading does not fit the field of view of a 100× objective', () => {
    // 1000 px circle at 40 px/µm would be 25 µm across.
    const result = estimateScale(measures(22, 50, 0.5), { cx: 800, cy: 600, r: 500 }, 1600, 1200);
    expect(result.basis).toBe('objects');
    expect(result.warnings.join(' ')).toMatch(/would span 25 µm, unlike a 100× objective/);
  });

  const reference = join(SHARED_DATASETS, 'gramstainr', 'reference');
  it.skipIf(!existsSync(reference))('reads the scale of faint real photos (GramStainR reference, ~21 px/µm by hand) within 30%', async () => {
    for (const species of ['Escherichia_coli', 'Pseudomonas_aeruginosa']) {
      const folder = join(reference, species);
      const { rgb, width, height } = await decodePhoto(readFileSync(join(folder, readdirSync(folder).sort()[0])));
      const quality = assessQuality(rgb, width, height);
      const estimate = estimateScale(quality.measures, quality.fov, width, height);
      expect(estimate.basis, species).toBe('objects');
      expect(estimate.pxPerUm! / 21, species).toBeGreaterThan(0.7);
      expect(estimate.pxPerUm! / 21, species).toBeLessThan(1.3);
    }
  });
});
