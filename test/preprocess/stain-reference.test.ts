import { describe, expect, it } from 'vitest';
import type { InputPolicy } from '../../src/models/index.ts';
import {
  STAIN_REFERENCE_IMAGES,
  estimateStainReference,
  normaliseSetStains,
  normaliseStainFor,
  stainNormalisationOf,
  stainReferenceOf,
} from '../../src/preprocess/index.ts';
import { createRng } from '../../src/util/index.ts';

function randomSet(count: number, seed: number): { images: Uint8Array; shape: [number, number, number, number]; labels: Int32Array } {
  const rng = createRng(seed);
  const images = Uint8Array.from({ length: count * 8 * 8 * 3 }, () => 120 + rng.int(100));
  return { images, shape: [count, 8, 8, 3], labels: Int32Array.from({ length: count }, (_, i) => i % 2) };
}

describe('stainReferenceOf', () => {
  it('estimates the reference from a seeded draw of at most STAIN_REFERENCE_IMAGES images', () => {
    const set = randomSet(STAIN_REFERENCE_IMAGES + 4, 2);
    const reference = stainReferenceOf(set, 'reinhard', 1);
    expect(reference.images).toBe(STAIN_REFERENCE_IMAGES);
    expect(stainReferenceOf(set, 'reinhard', 1)).toEqual(reference);
    expect(stainReferenceOf(set, 'reinhard', 2)).not.toEqual(reference);
  });

  it('uses every image of a small set', () => {
    const set = randomSet(3, 4);
    const images = [0, 1, 2].map((i) => set.images.subarray(i * 192, (i + 1) * 192));
    expect(stainReferenceOf(set, 'reinhard', 9)).toEqual(estimateStainReference('reinhard', images));
  });

  it('refuses greyscale sets', () => {
    const grey = { images: new Float32Array(2 * 8 * 8), shape: [2, 8, 8, 1] as [number, number, number, number] };
    expect(() => stainReferenceOf(grey, 'reinhard', 1)).toThrow(/needs RGB images, not 1-channel ones/);
  });
});

describe('normaliseSetStains', () => {
  it('normalises every image of a packed set and keeps 8-bit sets 8-bit', () => {
    const set = randomSet(4, 1);
    const spec = stainReferenceOf(set, 'reinhard', 1);
    const out = normaliseSetStains(set, spec);
    expect(out.images).toBeInstanceOf(Uint8Array);
    expect(out.labels).toBe(set.labels);
    const second = normaliseStainFor(set.images.subarray(192, 384), 8, 8, spec);
    expect(Array.from(out.images.subarray(192, 384))).toEqual(Array.from(second, (v) => Math.round(v * 255)));
  });
});

describe('stainNormalisationOf', () => {
  const input: InputPolicy = { height: 8, width: 8, channels: 3, fit: 'fill', mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2] };

  it('is null without a stain setting and the checked setting with one', () => {
    expect(stainNormalisationOf(input)).toBeNull();
    const stain = stainReferenceOf(randomSet(2, 3), 'reinhard', 1);
    expect(stainNormalisationOf({ ...input, stain })).toEqual(stain);
    expect(() => stainNormalisationOf({ ...input, stain: { method: 'reinhard', reference: { mean: [1], sd: [1] }, images: 1 } })).toThrow(/invalid stain normalisation/);
  });

  it('refuses a greyscale input policy with a stain setting', () => {
    const stain = stainReferenceOf(randomSet(2, 3), 'reinhard', 1);
    expect(() => stainNormalisationOf({ ...input, channels: 1, stain })).toThrow(/needs RGB images/);
  });
});
