import { describe, expect, it } from 'vitest';
import {
  CLASS_IDS,
  CLASSES,
  MORPHOTYPES,
  classInfo,
  generateField,
  generateTile,
  isOrganismMaskValue,
  maskValueOf,
  sampleSpecimen,
  type SynthImage,
} from '../../src/synth/index.ts';

const seeds = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

function meanColour(image: SynthImage, select: (maskValue: number) => boolean): [number, number, number] | null {
  const sum = [0, 0, 0];
  let n = 0;
  for (let i = 0; i < image.mask.length; i++) {
    if (!select(image.mask[i])) continue;
    for (let c = 0; c < 3; c++) sum[c] += image.rgb[i * 3 + c];
    n++;
  }
  return n === 0 ? null : [sum[0] / n, sum[1] / n, sum[2] / n];
}

function hue([r, g, b]: [number, number, number]): number {
  const max = Math.max(r, g, b);
  const d = max - Math.min(r, g, b);
  if (d === 0) return 0;
  const h = max === r ? ((g - b) / d + 6) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return h * 60;
}

const luminance = ([r, g, b]: [number, number, number]): number => 0.299 * r + 0.587 * g + 0.114 * b;
const saturation = (rgb: [number, number, number]): number => (Math.max(...rgb) - Math.min(...rgb)) / Math.max(...rgb);
const organismValues = (image: SynthImage): Set<number> => new Set([...image.mask].filter(isOrganismMaskValue));

describe('generateTile', () => {
  it('is deterministic: same seed gives identical bytes, another seed differs', () => {
    const a = generateTile({ label: 'gpc_chains', seed: 11 });
    const b = generateTile({ label: 'gpc_chains', seed: 11 });
    const c = generateTile({ label: 'gpc_chains', seed: 12 });
    expect(Buffer.from(a.rgb).equals(Buffer.from(b.rgb))).toBe(true);
    expect(Buffer.from(a.mask).equals(Buffer.from(b.mask))).toBe(true);
    expect(a.objects).toEqual(b.objects);
    expect(Buffer.from(a.rgb).equals(Buffer.from(c.rgb))).toBe(false);
  });

  it('renders every class at the requested size, with the label organisms in view', () => {
    for (const label of CLASS_IDS) {
      for (const seed of seeds(5)) {
        const tile = generateTile({ label, seed, size: 64 });
        expect(tile.rgb.length).toBe(64 * 64 * 3);
        expect(tile.mask.length).toBe(64 * 64);
        expect(tile.label).toBe(label);
        const organisms = organismValues(tile);
        if (label === 'no_bacteria') expect(organisms.size).toBe(0);
        else if (label === 'polymicrobial') expect(organisms.size).toBeGreaterThanOrEqual(2);
        else expect([...organisms]).toEqual([maskValueOf(label)]);
      }
    }
  });

  it('gives polymicrobial tiles two or more morphotypes of two Gram groups, in the mask and the annotations', () => {
    for (const seed of seeds(25, 100)) {
      const tile = generateTile({ label: 'polymicrobial', seed });
      expect(organismValues(tile).size).toBeGreaterThanOrEqual(2);
      expect(new Set(tile.objects.filter((o) => o.kind === 'organism').map((o) => o.label)).size).toBeGreaterThanOrEqual(2);
      const groups = new Set([...organismValues(tile)].map((v) => CLASSES[v - 1].gramGroup));
      expect(groups.size).toBeGreaterThanOrEqual(2);
    }
  });

  it('aligns masks with drawn objects: organism pixels are darker and more saturated than background', () => {
    for (const label of MORPHOTYPES) {
      for (const seed of seeds(6)) {
        const tile = generateTile({ label, seed, difficulty: 'clean' });
        const object = meanColour(tile, (v) => v === maskValueOf(label))!;
        const background = meanColour(tile, (v) => v === 0);
        if (!background) continue;
        expect(luminance(object)).toBeLessThan(luminance(background) - 25);
        expect(saturation(object)).toBeGreaterThan(saturation(background));
      }
    }
  });

  it('gives each annotation a box inside the image holding pixels of its mask value', () => {
    for (const label of CLASS_IDS) {
      const tile = generateTile({ label, seed: 3 });
      for (const { bbox, maskValue } of tile.objects) {
        const [x, y, w, h] = bbox;
        expect(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= tile.width && y + h <= tile.height).toBe(true);
        let found = false;
        for (let yy = y; yy < y + h && !found; yy++) for (let xx = x; xx < x + w && !found; xx++) found = tile.mask[yy * tile.width + xx] === maskValue;
        expect(found).toBe(true);
      }
    }
  });

  it('stains Gram-positives violet-blue and Gram-negatives pink-red (clean setting)', () => {
    for (const label of MORPHOTYPES) {
      const hues = seeds(8).map((seed) => hue(meanColour(generateTile({ label, seed, difficulty: 'clean' }), (v) => v === maskValueOf(label))!));
      const mean = hues.reduce((a, b) => a + b, 0) / hues.length;
      const [lo, hi] = classInfo(label).gram === 'positive' ? [235, 280] : [300, 350];
      expect(mean).toBeGreaterThan(lo);
      expect(mean).toBeLessThan(hi);
    }
  });

  it('turns some Gram-positives pink on over-decolorised slides', () => {
    const difficulty = { stainFaultRate: 1, overDecolorisation: 1 };
    const tiles = seeds(30).map((seed) => generateTile({ label: 'gpc_clusters', seed, difficulty }));
    const faulty = tiles.filter((t) => t.specimen.stain === 'over_decolorised');
    expect(faulty.length).toBeGreaterThan(3);
    expect(faulty.some((t) => t.objects.some((o) => o.kind === 'organism' && o.miscoloured))).toBe(true);
    const clean = seeds(10).map((seed) => generateTile({ label: 'gpc_clusters', seed, difficulty: 'clean' }));
    expect(clean.every((t) => t.objects.every((o) => !o.miscoloured))).toBe(true);
  });

  it('draws organisms at the physical scale: twice the pixels per µm, twice the size', () => {
    const meanBox = (pxPerUm: number): number => {
      const boxes = seeds(10).flatMap((seed) => generateTile({ label: 'gnc', seed, pxPerUm, size: 128 }).objects.filter((o) => o.kind === 'organism'));
      return boxes.reduce((sum, o) => sum + Math.sqrt(o.bbox[2] * o.bbox[3]), 0) / boxes.length;
    };
    const ratio = meanBox(16) / meanBox(8);
    expect(ratio).toBeGreaterThan(1.6);
    expect(ratio).toBeLessThan(2.4);
  });

  it('shares a specimen between tiles (same device and stain) and takes the label from it', () => {
    const specimen = sampleSpecimen({ label: 'yeast', seed: 5 });
    const tiles = seeds(3).map((seed) => generateTile({ specimen, seed }));
    for (const t of tiles) {
      expect(t.label).toBe('yeast');
      expect(t.specimen).toBe(specimen);
    }
  });

  it('rejects bad options with clear one-line errors', () => {
    expect(() => generateTile({ label: 'staph' as never, seed: 1 })).toThrow(/unknown class "staph"/);
    expect(() => generateTile({ label: 'gnr', seed: 1, size: 0 })).toThrow(/size must be a positive integer/);
    expect(() => generateTile({ label: 'gnr', seed: 1, size: -4 })).toThrow(/size must be a positive integer/);
    expect(() => generateTile({ label: 'gnr', seed: 1, size: 9.5 })).toThrow(/size must be a positive integer/);
    expect(() => generateTile({ label: 'gnr', seed: 1, pxPerUm: 0 })).toThrow(/pxPerUm must be a number between/);
    expect(() => generateTile({ label: 'gnr', seed: Number.NaN })).toThrow(/seed must be an integer/);
    expect(() => generateTile({ seed: 1 })).toThrow(/a label \(or a specimen\) is required/);
    const specimen = sampleSpecimen({ label: 'gnr', seed: 1 });
    expect(() => generateTile({ label: 'gnc', specimen, seed: 1 })).toThrow(/does not match the specimen's label "gnr"/);
    expect(() => generateField({ label: 'gnr', seed: 1, width: 0 })).toThrow(/width must be a positive integer/);
  });
});

describe('generateField', () => {
  const field = generateField({ label: 'gnr', seed: 4, width: 480, height: 360 });

  it('is deterministic', () => {
    const again = generateField({ label: 'gnr', seed: 4, width: 480, height: 360 });
    expect(Buffer.from(again.rgb).equals(Buffer.from(field.rgb))).toBe(true);
    expect(Buffer.from(again.mask).equals(Buffer.from(field.mask))).toBe(true);
  });

  it('shows a bright eyepiece circle with dark outside, and masks only inside it', () => {
    const { cx, cy, radius } = field.eyepiece;
    let outsideSum = 0;
    let outsideCount = 0;
    let maskedOutside = 0;
    for (let y = 0; y < field.height; y++) {
      for (let x = 0; x < field.width; x++) {
        const r = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
        const i = y * field.width + x;
        if (r > radius * 1.05) {
          outsideSum += (field.rgb[i * 3] + field.rgb[i * 3 + 1] + field.rgb[i * 3 + 2]) / 3;
          outsideCount++;
        }
        if (r > radius && field.mask[i] !== 0) maskedOutside++;
      }
    }
    expect(outsideCount).toBeGreaterThan(1000);
    expect(outsideSum / outsideCount).toBeLessThan(20);
    expect(maskedOutside).toBe(0);
    const centre = (Math.round(cy) * field.width + Math.round(cx)) * 3;
    expect(field.rgb[centre] + field.rgb[centre + 1] + field.rgb[centre + 2]).toBeGreaterThan(300);
  });

  it('annotates several groups of the label organism with boxes in the image', () => {
    const groups = field.objects.filter((o) => o.kind === 'organism');
    expect(groups.length).toBeGreaterThanOrEqual(3);
    expect(groups.every((o) => o.label === 'gnr' && o.gram === 'negative')).toBe(true);
    for (const [x, y, w, h] of field.objects.map((o) => o.bbox)) {
      expect(x >= 0 && y >= 0 && x + w <= field.width && y + h <= field.height).toBe(true);
    }
  });
});
