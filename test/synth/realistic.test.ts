import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { detectFieldOfView } from '../../src/fields/index.ts';
import {
  DEFAULT_DIFFICULTY,
  REALISTIC_DIFFICULTY,
  generateField,
  generateTile,
  resolveDifficulty,
  sampleFieldConditions,
  sampleSpecimen,
  type FieldConditions,
  type Specimen,
} from '../../src/synth/index.ts';

const hash = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex').slice(0, 16);
const luminance = (rgb: Uint8Array, i: number): number => 0.299 * rgb[i * 3] + 0.587 * rgb[i * 3 + 1] + 0.114 * rgb[i * 3 + 2];

/** Mean luminance of the pixels whose mask value passes `select`. */
function meanLuminance(image: { rgb: Uint8Array; mask: Uint8Array }, select: (maskValue: number) => boolean): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < image.mask.length; i++) {
    if (!select(image.mask[i])) continue;
    sum += luminance(image.rgb, i);
    n++;
  }
  return sum / n;
}

const isOrganism = (v: number): boolean => v >= 1 && v <= 7;

describe('realistic difficulty (what varies between labs, microscopes and phones)', () => {
  it('is a preset, and its knobs are validated', () => {
    expect(resolveDifficulty('realistic')).toEqual(REALISTIC_DIFFICULTY);
    expect(() => resolveDifficulty({ flare: [0.4, 0.1] })).toThrow(/difficulty.flare must be a range/);
    expect(() => resolveDifficulty({ scaleJitter: 2 })).toThrow(/difficulty.scaleJitter must be a number in \[0, 1\]/);
    expect(() => resolveDifficulty({ cultureRate: -0.1 })).toThrow(/difficulty.cultureRate/);
    expect(() => resolveDifficulty({ organismSize: [0.1, 1] })).toThrow(/difficulty.organismSize/);
  });

  it('leaves the default and hard difficulties drawing and rendering exactly as before', () => {
    // Hashes of the generator before the realistic knobs existed.
    expect(hash(generateTile({ label: 'gnr', seed: 11, size: 48 }).rgb)).toBe('0809bd0faaa7ed48');
    expect(hash(generateTile({ label: 'yeast', seed: 12, size: 48, difficulty: 'hard' }).rgb)).toBe('469d09b35f86527a');
    const field = generateField({ label: 'polymicrobial', seed: 13, width: 200, height: 150, pxPerUm: 4 });
    expect([hash(field.rgb), hash(field.mask)]).toEqual(['3143c96cbf97c84c', 'ed39786bfc82dd74']);
    const specimen = sampleSpecimen({ label: 'gnr', seed: 3 });
    expect(specimen).not.toHaveProperty('tint');
    expect(specimen).not.toHaveProperty('stainStrength');
    expect(specimen).not.toHaveProperty('film');
    expect(specimen.organisms[0].traits.sizeScale).toBeGreaterThanOrEqual(0.88);
    expect(Object.keys(sampleFieldConditions({ seed: 3 })).sort()).toEqual(['blurUm', 'densityFactor', 'exposure', 'jpegQuality', 'seed', 'sensorNoise', 'unevenLight']);
  });

  it('makes culture smears: no host cells, a thin film', () => {
    for (let seed = 0; seed < 5; seed++) {
      const specimen = sampleSpecimen({ label: 'gnr', seed, difficulty: { cultureRate: 1 } });
      expect(specimen.specimenType).toBe('culture');
      expect(specimen.hostCells).toEqual({ neutrophil: 0, squamous: 0, redCell: 0 });
      expect(specimen.film).toBeLessThan(0.5);
    }
    const tile = generateTile({ label: 'gnr', seed: 2, size: 64, pxPerUm: 6, difficulty: { cultureRate: 1, jpegQuality: null, sensorNoise: 0 } });
    expect(tile.mask.some((v) => v === 8)).toBe(false);
  });

  it('tints the glass by microscope: lilac, blue, grey, pink and yellow glass across specimens', () => {
    const glass = Array.from({ length: 40 }, (_, seed) => {
      const tile = generateTile({ label: 'no_bacteria', seed, size: 32, pxPerUm: 4, difficulty: { tint: 1, colourCast: 0, hostCells: 0, debris: 0, jpegQuality: null, sensorNoise: 0 } });
      const sum = [0, 0, 0];
      for (let i = 0; i < tile.rgb.length; i += 3) for (let c = 0; c < 3; c++) sum[c] += tile.rgb[i + c];
      return sum.map((v) => v / (tile.rgb.length / 3));
    });
    // Blue-dominant (lilac, lavender) and blue-poor (yellow) glass both occur.
    expect(glass.some(([r, , b]) => b > r + 15)).toBe(true);
    expect(glass.some(([r, , b]) => b < r - 15)).toBe(true);
  });

  const base = sampleSpecimen({ label: 'gnr', seed: 21, difficulty: 'clean' });
  const quiet = { ...sampleFieldConditions({ seed: 22, difficulty: 'clean' }), densityFactor: 1 };
  const render = (specimen: Specimen, field: FieldConditions) => generateTile({ specimen, field, seed: 23, size: 64, pxPerUm: 6 });

  it('fades the stain with stainStrength and lowers contrast with flare', () => {
    const normal = render(base, quiet);
    const faint = render({ ...base, stainStrength: 0.4 }, quiet);
    const glared = render(base, { ...quiet, flare: 0.3 });
    const contrast = (image: typeof normal) => meanLuminance(image, (v) => v === 0) - meanLuminance(image, isOrganism);
    expect(contrast(normal)).toBeGreaterThan(40);
    expect(contrast(faint)).toBeLessThan(contrast(normal) * 0.7);
    expect(contrast(glared)).toBeLessThan(contrast(normal) * 0.8);
    // Same scene: only the look changes, not the labels.
    expect(hash(faint.mask)).toBe(hash(normal.mask));
    expect(hash(glared.mask)).toBe(hash(normal.mask));
  });

  it('photographs some fields cropped inside the field stop: lit to the corners, no circle', () => {
    const cropped = generateField({ label: 'gnr', seed: 5, width: 320, height: 240, pxPerUm: 4, specimen: base, field: { ...quiet, fieldStopRatio: 1.3, vignetting: 0.1 } });
    expect(cropped.eyepiece.radius).toBeGreaterThan(Math.hypot(320, 240) / 2);
    const centre = luminance(cropped.rgb, 120 * 320 + 160);
    expect(luminance(cropped.rgb, 2 * 320 + 2)).toBeGreaterThan(centre * 0.8);
    const fov = detectFieldOfView(cropped.rgb, 320, 240);
    expect(fov).not.toBeNull();
    expect(fov!.r).toBeGreaterThan(Math.hypot(320, 240) / 2 * 0.99);
  });

  it('jitters the physical scale: rendered at pxPerUm × scale, organisms larger or smaller to match', () => {
    const scales = Array.from({ length: 30 }, (_, seed) => sampleFieldConditions({ seed, difficulty: { scaleJitter: 0.3 } }).scale!);
    expect(Math.min(...scales)).toBeGreaterThanOrEqual(1 / 1.3);
    expect(Math.max(...scales)).toBeLessThanOrEqual(1.3);
    expect(Math.max(...scales) / Math.min(...scales)).toBeGreaterThan(1.3);
    const small = render(base, { ...quiet, scale: 0.8 });
    const large = render(base, { ...quiet, scale: 1.25 });
    expect(small.pxPerUm).toBeCloseTo(4.8, 9);
    expect(large.pxPerUm).toBeCloseTo(7.5, 9);
    const organismPixels = (image: typeof small) => image.mask.filter(isOrganism).length;
    expect(organismPixels(large)).toBeGreaterThan(organismPixels(small));
  });

  it('scales organisms per specimen with organismSize, the labels staying the same', () => {
    const small = sampleSpecimen({ label: 'gnr', seed: 9, difficulty: { organismSize: [0.7, 0.7] } });
    const normal = sampleSpecimen({ label: 'gnr', seed: 9 });
    expect(small.label).toBe('gnr');
    expect(small.organisms[0].traits.sizeScale).toBeCloseTo(normal.organisms[0].traits.sizeScale * 0.7, 9);
  });

  it('differs from the default only in the knobs it sets', () => {
    const changed = Object.keys(REALISTIC_DIFFICULTY).filter((k) => JSON.stringify(REALISTIC_DIFFICULTY[k as keyof typeof REALISTIC_DIFFICULTY]) !== JSON.stringify(DEFAULT_DIFFICULTY[k as keyof typeof DEFAULT_DIFFICULTY]));
    expect(changed.sort()).toEqual(['cultureRate', 'flare', 'focusBlurUm', 'fullFrameRate', 'organismDensity', 'organismSize', 'scaleJitter', 'sensorNoise', 'stainStrength', 'tint', 'underExposure', 'unevenLight', 'vignetting'].sort());
  });
});
