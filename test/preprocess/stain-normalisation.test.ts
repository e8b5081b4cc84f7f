import { describe, expect, it } from 'vitest';
import {
  MAX_STAIN_GAIN,
  checkStainNormalisation,
  estimateReinhardStats,
  estimateStainReference,
  normaliseStainFor,
  type StainNormalisation,
  type Vec3,
} from '../../src/preprocess/index.ts';
import { normalise } from '../../src/preprocess/colour.ts';
import { createRng } from '../../src/util/index.ts';

const CRYSTAL_VIOLET = normalise([1.55, 1.95, 0.62]);
const SAFRANIN = normalise([0.22, 1.05, 0.55]);
const GLASS: Vec3 = [0.96, 0.94, 0.97];

/** A 40 × 40 Gram-like patch under Beer-Lambert: glass, violet cells, pink cells and mixtures, in the given light. */
function slide(light: Vec3, seed: number, size = 40): Float32Array {
  const rng = createRng(seed);
  const rgb = new Float32Array(size * size * 3);
  for (let p = 0; p < size * size; p++) {
    const kind = p % 4;
    const a = kind === 1 || kind === 3 ? rng.uniform(0.2, 1.2) : 0;
    const b = kind === 2 || kind === 3 ? rng.uniform(0.2, 1.2) : 0;
    for (let c = 0; c < 3; c++) rgb[3 * p + c] = light[c] * Math.exp(-(CRYSTAL_VIOLET[c] * a + SAFRANIN[c] * b));
  }
  return rgb;
}

function cosine(a: readonly number[], b: readonly number[]): number {
  return (a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) / (Math.hypot(a[0], a[1], a[2]) * Math.hypot(b[0], b[1], b[2]));
}

describe('estimateStainReference', () => {
  it('takes, per channel, the median of the images’ own Reinhard statistics', () => {
    const images = [slide([0.9, 0.9, 0.9], 1), slide([0.95, 0.85, 0.8], 2), slide([0.8, 0.85, 0.95], 3)];
    const stats = images.map((rgb) => estimateReinhardStats(rgb));
    const spec = estimateStainReference('reinhard', images);
    expect(spec.method).toBe('reinhard');
    expect(spec.images).toBe(3);
    if (spec.method !== 'reinhard') return;
    for (let c = 0; c < 3; c++) {
      expect(spec.reference.mean[c]).toBeCloseTo([...stats.map((s) => s.mean[c])].sort((x, y) => x - y)[1], 9);
      expect(spec.reference.sd[c]).toBeCloseTo([...stats.map((s) => s.sd[c])].sort((x, y) => x - y)[1], 9);
    }
  });

  it('finds the stains of images under different lights, with the median light', () => {
    const lights: Vec3[] = [GLASS, [0.98, 0.9, 0.8], [0.85, 0.9, 0.99]];
    const spec = estimateStainReference('macenko', lights.map((light, i) => slide(light, i + 1)));
    if (spec.method !== 'macenko') throw new Error('expected macenko');
    expect(cosine(spec.reference.stains[0], CRYSTAL_VIOLET)).toBeGreaterThan(0.995);
    expect(cosine(spec.reference.stains[1], SAFRANIN)).toBeGreaterThan(0.995);
    for (let c = 0; c < 3; c++) expect(spec.reference.background[c]).toBeCloseTo([...lights.map((l) => l[c])].sort((x, y) => x - y)[1], 1);
  });

  it('refuses to estimate from nothing or from blank images', () => {
    expect(() => estimateStainReference('reinhard', [])).toThrow(/at least one/);
    expect(() => estimateStainReference('macenko', [new Float32Array(300).fill(0.9)])).toThrow(/Macenko reference/);
  });
});

describe('normaliseStainFor', () => {
  const reinhard = estimateStainReference('reinhard', [slide(GLASS, 5)]);
  const macenko = estimateStainReference('macenko', [slide(GLASS, 5)]);

  it('gives an image under another light the reference Lab statistics (Reinhard)', () => {
    const out = normaliseStainFor(slide([0.98, 0.88, 0.75], 9), 40, 40, reinhard);
    const stats = estimateReinhardStats(out);
    if (reinhard.method !== 'reinhard') throw new Error('expected reinhard');
    for (let c = 0; c < 3; c++) {
      expect(stats.mean[c]).toBeCloseTo(reinhard.reference.mean[c], 0);
      expect(stats.sd[c]).toBeCloseTo(reinhard.reference.sd[c], 0);
    }
  });

  it('brings the same slide under a warm lamp back to the reference light (Macenko)', () => {
    const out = normaliseStainFor(slide([0.98, 0.88, 0.75], 5), 40, 40, macenko);
    const expected = slide(GLASS, 5);
    let worst = 0;
    for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] - expected[i]));
    expect(worst).toBeLessThan(0.03);
  });

  it('turns a blank image into the reference background, never NaN', () => {
    for (const spec of [reinhard, macenko]) {
      for (const value of [0, 0.5, 1]) {
        const out = normaliseStainFor(new Float32Array(8 * 8 * 3).fill(value), 8, 8, spec);
        expect(out.every(Number.isFinite)).toBe(true);
        for (let i = 3; i < out.length; i++) expect(out[i]).toBeCloseTo(out[i % 3], 6);
      }
    }
    if (macenko.method !== 'macenko') throw new Error('expected macenko');
    const out = normaliseStainFor(new Uint8Array(8 * 8 * 3).fill(230), 8, 8, macenko);
    for (let c = 0; c < 3; c++) expect(out[c]).toBeCloseTo(macenko.reference.background[c], 5);
  });

  it(`stretches a nearly uniform image's contrast at most ${MAX_STAIN_GAIN}× (Reinhard)`, () => {
    const rng = createRng(4);
    const faint = Float32Array.from({ length: 20 * 20 * 3 }, () => 0.8 + rng.normal() * 0.002);
    const before = estimateReinhardStats(faint).sd;
    const after = estimateReinhardStats(normaliseStainFor(faint, 20, 20, reinhard)).sd;
    for (let c = 0; c < 3; c++) expect(after[c]).toBeLessThan(before[c] * MAX_STAIN_GAIN * 1.05);
  });

  it('refuses pixels that are not RGB', () => {
    expect(() => normaliseStainFor(new Float32Array(8 * 8), 8, 8, reinhard)).toThrow(/needs RGB images/);
  });
});

describe('checkStainNormalisation', () => {
  it('accepts a spec as stored in JSON and rejects malformed ones', () => {
    const spec: StainNormalisation = estimateStainReference('macenko', [slide(GLASS, 5)]);
    expect(checkStainNormalisation(JSON.parse(JSON.stringify(spec)))).toEqual(JSON.parse(JSON.stringify(spec)));
    expect(() => checkStainNormalisation({ method: 'vahadane', reference: {} })).toThrow(/invalid stain normalisation/);
    expect(() => checkStainNormalisation({ method: 'reinhard', reference: { mean: [1, 2], sd: [1, 1, 1] } })).toThrow(/invalid stain/);
    expect(() => checkStainNormalisation(null)).toThrow(/invalid stain/);
  });
});
