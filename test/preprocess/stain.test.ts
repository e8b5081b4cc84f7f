import { describe, expect, it } from 'vitest';
import {
  estimateMacenkoStains,
  estimateReinhardStats,
  labToRgb,
  macenkoNormalise,
  reinhardNormalise,
  rgbToLab,
  type StainBasis,
  type Vec3,
} from '../../src/preprocess/index.ts';
import { normalise, symmetricEigen } from '../../src/preprocess/colour.ts';
import { createRng } from '../../src/util/index.ts';

const CRYSTAL_VIOLET = normalise([1.55, 1.95, 0.62]);
const SAFRANIN = normalise([0.22, 1.05, 0.55]);
const GLASS: Vec3 = [0.96, 0.94, 0.97];

function cosine(a: Vec3, b: Vec3): number {
  return (a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) / (Math.hypot(...a) * Math.hypot(...b));
}

/**
 * A Gram-stain-like patch under Beer-Lambert: glass, pure violet cells, pure pink cells and mixed
 * pixels, concentrations drawn from a seed (scaled per stain by `strength`).
 */
function twoStainPatch(stains: [Vec3, Vec3], background: Vec3, strength: [number, number], n = 4000, seed = 7): { rgb: Float32Array; c: Float32Array } {
  const rng = createRng(seed);
  const rgb = new Float32Array(n * 3);
  const c = new Float32Array(n * 2);
  for (let p = 0; p < n; p++) {
    const kind = p % 4;
    const a = kind === 1 || kind === 3 ? rng.uniform(0.2, 1.2) * strength[0] : 0;
    const b = kind === 2 || kind === 3 ? rng.uniform(0.2, 1.2) * strength[1] : 0;
    c[2 * p] = a;
    c[2 * p + 1] = b;
    for (let k = 0; k < 3; k++) rgb[3 * p + k] = background[k] * Math.exp(-(stains[0][k] * a + stains[1][k] * b));
  }
  return { rgb, c };
}

describe('CIE Lab', () => {
  it('converts known colours and round-trips', () => {
    const white = rgbToLab(1, 1, 1);
    expect(white[0]).toBeCloseTo(100, 2);
    expect(white[1]).toBeCloseTo(0, 2);
    expect(white[2]).toBeCloseTo(0, 2);
    const red = rgbToLab(1, 0, 0);
    expect(red[0]).toBeCloseTo(53.24, 1);
    expect(red[1]).toBeCloseTo(80.09, 1);
    expect(red[2]).toBeCloseTo(67.2, 1);
    for (const colour of [[0.2, 0.5, 0.9], [0.8, 0.1, 0.4], [0.02, 0.02, 0.02]] as Vec3[]) {
      const back = labToRgb(...rgbToLab(...colour));
      for (let c = 0; c < 3; c++) expect(back[c]).toBeCloseTo(colour[c], 5);
    }
  });

  it('decomposes a symmetric matrix into sorted eigenpairs', () => {
    const { values, vectors } = symmetricEigen([[2, 1, 0], [1, 2, 0], [0, 0, 5]]);
    expect(values[0]).toBeCloseTo(5, 9);
    expect(values[1]).toBeCloseTo(3, 9);
    expect(values[2]).toBeCloseTo(1, 9);
    expect(Math.abs(vectors[1][0])).toBeCloseTo(Math.SQRT1_2, 9);
    expect(Math.abs(vectors[0][2])).toBeCloseTo(1, 9);
  });
});

describe('Reinhard normalisation', () => {
  const source = twoStainPatch([CRYSTAL_VIOLET, SAFRANIN], [0.9, 0.85, 0.95], [0.5, 0.5]).rgb;
  const target = twoStainPatch([CRYSTAL_VIOLET, SAFRANIN], [0.85, 0.9, 0.8], [0.6, 0.4], 4000, 9).rgb;

  it('gives the normalised image the reference Lab statistics', () => {
    const reference = estimateReinhardStats(target);
    const out = reinhardNormalise(source, estimateReinhardStats(source), reference);
    const result = estimateReinhardStats(out);
    for (let c = 0; c < 3; c++) {
      expect(result.mean[c]).toBeCloseTo(reference.mean[c], 1);
      expect(result.sd[c]).toBeCloseTo(reference.sd[c], 1);
    }
  });

  it('is the identity when source and reference statistics are the same', () => {
    const stats = estimateReinhardStats(source);
    const out = reinhardNormalise(source, stats, stats);
    for (let i = 0; i < source.length; i++) expect(out[i]).toBeCloseTo(source[i], 4);
  });

  it('reads 8-bit input as 0..255 and honours a mask', () => {
    const bytes = Uint8Array.from([255, 255, 255, 0, 0, 0]);
    expect(estimateReinhardStats(bytes, Uint8Array.from([1, 0])).mean[0]).toBeCloseTo(100, 2);
    expect(() => estimateReinhardStats(bytes, Uint8Array.from([0, 0]))).toThrow(/no pixels/);
  });
});

describe('Macenko normalisation', () => {
  it('recovers the two stain vectors of a synthetic crystal violet + safranin mix', () => {
    const { rgb } = twoStainPatch([CRYSTAL_VIOLET, SAFRANIN], GLASS, [1, 1]);
    const basis = estimateMacenkoStains(rgb, { background: GLASS });
    expect(cosine(basis.stains[0], CRYSTAL_VIOLET)).toBeGreaterThan(0.999);
    expect(cosine(basis.stains[1], SAFRANIN)).toBeGreaterThan(0.999);
    // Concentrations along unit vectors: the 99th percentile of uniform(0.2, 1.2) is ~1.19.
    expect(basis.maxConcentrations[0]).toBeCloseTo(1.19, 1);
    expect(basis.maxConcentrations[1]).toBeCloseTo(1.19, 1);
  });

  it('still finds them from 8-bit pixels with the background estimated', () => {
    const { rgb } = twoStainPatch([CRYSTAL_VIOLET, SAFRANIN], GLASS, [1, 1]);
    const bytes = Uint8Array.from(rgb, (v) => Math.round(v * 255));
    const basis = estimateMacenkoStains(bytes);
    expect(basis.background[0]).toBeCloseTo(GLASS[0], 2);
    expect(cosine(basis.stains[0], CRYSTAL_VIOLET)).toBeGreaterThan(0.995);
    expect(cosine(basis.stains[1], SAFRANIN)).toBeGreaterThan(0.995);
  });

  it('is the identity when source and reference are the same', () => {
    const { rgb } = twoStainPatch([CRYSTAL_VIOLET, SAFRANIN], GLASS, [1, 1]);
    const basis = estimateMacenkoStains(rgb, { background: GLASS });
    const out = macenkoNormalise(rgb, basis, basis);
    for (let i = 0; i < rgb.length; i++) expect(out[i]).toBeCloseTo(rgb[i], 4);
  });

  it('maps an image onto the reference stains, concentrations and light', () => {
    // The same slide under other stain shades, a weaker stain and a warmer lamp.
    const otherStains: [Vec3, Vec3] = [normalise([1.3, 2.0, 0.9]), normalise([0.35, 1.0, 0.4])];
    const source = twoStainPatch(otherStains, [0.98, 0.9, 0.8], [0.6, 0.8]);
    const reference: StainBasis = { stains: [CRYSTAL_VIOLET, SAFRANIN], maxConcentrations: [1.19, 1.19], background: GLASS };
    const out = macenkoNormalise(source.rgb, estimateMacenkoStains(source.rgb, { background: [0.98, 0.9, 0.8] }), reference);
    // Expected: the same cells drawn with the reference basis at concentrations rescaled to it.
    const expected = twoStainPatch([CRYSTAL_VIOLET, SAFRANIN], GLASS, [1, 1]).rgb;
    let worst = 0;
    for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] - expected[i]));
    expect(worst).toBeLessThan(0.02);
  });
});
