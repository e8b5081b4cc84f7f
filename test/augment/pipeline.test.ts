import { describe, expect, it } from 'vitest';
import {
  AUGMENT_PRESETS,
  DEFAULT_AUGMENT_CONFIG,
  augmentPipeline,
  compose,
  randomBrightness,
  randomFlipHorizontal,
  randomRotate90,
} from '../../src/augment/index.ts';
import { createRng } from '../../src/util/index.ts';
import { image, randomImage } from './helpers.ts';

const EVERYTHING = {
  flipHorizontal: { p: 1 },
  flipVertical: { p: 1 },
  rotate90: { p: 1 },
  rotate: { p: 1, maxDegrees: 15 },
  shift: { p: 1, maxFraction: 0.1 },
  zoom: { p: 1, min: 0.9, max: 1.1 },
  colourJitter: { p: 1, brightness: 0.1, saturation: 0.1, channelGain: 0.05 },
  brightness: { p: 1, maxDelta: 0.1 },
  contrast: { p: 1, maxDelta: 0.1 },
  gamma: { p: 1, min: 0.8, max: 1.25 },
  blur: { p: 1, maxSigma: 1 },
  noise: { p: 1, maxSigma: 0.02 },
  cutout: { p: 1, maxFraction: 0.3 },
};

describe('compose', () => {
  it('applies steps by probability: p = 1 always, p = 0 never (returning a copy)', () => {
    const img = image(1, 3, 1, [0.1, 0.2, 0.3]);
    const always = compose([{ transform: randomFlipHorizontal(), probability: 1 }]);
    expect(Array.from(always.apply(img, createRng(1)).data)).toEqual([0.3, 0.2, 0.1].map(Math.fround));
    const never = compose([{ transform: randomFlipHorizontal(), probability: 0 }]);
    const copy = never.apply(img, createRng(1));
    expect(copy).toEqual(img);
    expect(copy.data).not.toBe(img.data);
  });

  it('runs a p = 0.5 step on about half the images', () => {
    const pipeline = compose([{ transform: randomBrightness({ maxDelta: 0.1 }), probability: 0.5 }]);
    const rng = createRng(3);
    const img = image(1, 1, 1, [0.5]);
    let changed = 0;
    for (let i = 0; i < 2000; i++) if (pipeline.apply(img, rng).data[0] !== img.data[0]) changed++;
    expect(changed / 2000).toBeCloseTo(0.5, 1);
  });

  it('rejects a probability outside 0..1', () => {
    expect(() => compose([{ transform: randomFlipHorizontal(), probability: 1.5 }])).toThrow('Probability of flip-horizontal must be in 0..1');
  });

  it('keeps the shape of non-square images under quarter turns', () => {
    const pipeline = compose([{ transform: randomRotate90(), probability: 1 }]);
    const rng = createRng(5);
    for (let i = 0; i < 20; i++) expect(pipeline.apply(randomImage(4, 6, 3, i), rng).height).toBe(4);
  });
});

describe('augmentPipeline', () => {
  it('gives the same output for the same seed and different output for another', () => {
    const pipeline = augmentPipeline(EVERYTHING);
    const img = randomImage(16, 16, 3, 1);
    const a = pipeline.apply(img, createRng(42));
    expect(pipeline.apply(img, createRng(42))).toEqual(a);
    expect(pipeline.apply(img, createRng(43))).not.toEqual(a);
    expect(a.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect([a.height, a.width, a.channels]).toEqual([16, 16, 3]);
  });

  it('describes its steps in application order with probabilities and parameters', () => {
    expect(augmentPipeline({ noise: { p: 0.2, maxSigma: 0.02 }, flipVertical: { p: 0.5 } }).describe()).toEqual([
      { name: 'flip-vertical', probability: 0.5, params: {} },
      { name: 'noise', probability: 0.2, params: { maxSigma: 0.02 } },
    ]);
    expect(augmentPipeline(EVERYTHING).describe().map((s) => s.name)).toEqual([
      'flip-horizontal',
      'flip-vertical',
      'rotate-90',
      'rotate',
      'shift',
      'zoom',
      'color-jitter',
      'brightness',
      'contrast',
      'gamma',
      'blur',
      'noise',
      'cutout',
    ]);
    expect(augmentPipeline('none').describe()).toEqual([]);
    expect(augmentPipeline().describe()).toEqual(augmentPipeline(DEFAULT_AUGMENT_CONFIG).describe());
  });

  it('builds every preset', () => {
    for (const name of Object.keys(AUGMENT_PRESETS) as (keyof typeof AUGMENT_PRESETS)[]) {
      expect(() => augmentPipeline(name)).not.toThrow();
    }
  });

  it('explains config mistakes in one line', () => {
    expect(() => augmentPipeline({ flip: { p: 1 } } as never)).toThrow('Unknown augmentation "flip"; known: flipHorizontal');
    expect(() => augmentPipeline({ rotate: { p: 1, maxDegree: 10 } } as never)).toThrow('rotate has an unknown setting "maxDegree"');
    expect(() => augmentPipeline({ rotate: { p: 2, maxDegrees: 10 } })).toThrow('rotate.p must be a number in 0..1, got 2');
    expect(() => augmentPipeline({ zoom: { p: 1, min: 1.2, max: 0.9 } })).toThrow('zoom: min 1.2 is above max 0.9');
    expect(() => augmentPipeline('fancy' as never)).toThrow('Unknown augmentation preset "fancy"');
  });
});
