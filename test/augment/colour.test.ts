import { describe, expect, it } from 'vitest';
import { GRAM_SAFE_LIMITS, augmentPipeline, colourJitter, randomGramSafeColourJitter } from '../../src/augment/index.ts';
import { createRng } from '../../src/util/index.ts';
import { image } from './helpers.ts';

const VIOLET = [0.35, 0.2, 0.55]; // crystal violet: Gram-positive
const PINK = [0.85, 0.4, 0.6]; // safranin: Gram-negative

describe('Gram-safe colour jitter', () => {
  it('never turns violet pink or pink violet, over many draws at the largest allowed settings', () => {
    const jitter = randomGramSafeColourJitter(GRAM_SAFE_LIMITS);
    const pixels = image(1, 2, 3, [...VIOLET, ...PINK]);
    const rng = createRng(2024);
    let flipped = 0;
    let maxChange = 0;
    for (let draw = 0; draw < 20000; draw++) {
      const [r1, , b1, r2, , b2] = jitter.apply(pixels, rng).data;
      if (!(b1 > r1) || !(r2 > b2)) flipped++;
      maxChange = Math.max(maxChange, Math.abs(r1 - VIOLET[0]));
    }
    expect(flipped).toBe(0);
    expect(maxChange).toBeGreaterThan(0.02); // it does change colours
  });

  it('keeps the order at the worst-case corner of the bounds', () => {
    const g = GRAM_SAFE_LIMITS.channelGain;
    const worstForViolet = colourJitter(image(1, 1, 3, VIOLET), { brightness: 1.2, saturation: 0.7, gains: [1 + g, 1, 1 - g] });
    expect(worstForViolet.data[2]).toBeGreaterThan(worstForViolet.data[0]);
    const worstForPink = colourJitter(image(1, 1, 3, PINK), { brightness: 0.8, saturation: 1.3, gains: [1 - g, 1, 1 + g] });
    expect(worstForPink.data[0]).toBeGreaterThan(worstForPink.data[2]);
  });

  it('is the identity at neutral settings and only scales grey images', () => {
    const violet = image(1, 1, 3, VIOLET);
    expect(colourJitter(violet, { brightness: 1, saturation: 1, gains: [1, 1, 1] }).data).toEqual(violet.data);
    const grey = colourJitter(image(1, 2, 1, [0.5, 0.9]), { brightness: 1.2, saturation: 1, gains: [1, 1, 1] });
    expect(Array.from(grey.data)).toEqual([0.6, 1].map(Math.fround));
  });

  it('refuses settings beyond the Gram-safe bounds', () => {
    expect(() => randomGramSafeColourJitter({ brightness: 0.1, saturation: 0.1, channelGain: 0.3 })).toThrow('Colour jitter channelGain must be in 0..0.1 so the Gram colour stays readable, got 0.3');
    expect(() => colourJitter(image(1, 1, 3, VIOLET), { brightness: 1, saturation: 1, gains: [1.3, 1, 1] })).toThrow(
      'channel gain 1.3 is outside 1 ± 0.1',
    );
    expect(() => augmentPipeline({ colourJitter: { p: 1, brightness: 0.1, saturation: 0.1, channelGain: 0.2 } })).toThrow(
      'colourJitter.channelGain must be a number in 0..0.1',
    );
  });
});
