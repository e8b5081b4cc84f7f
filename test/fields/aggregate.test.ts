import { describe, expect, it } from 'vitest';
import { aggregateTiles, detectMultipleMorphotypes } from '../../src/fields/index.ts';

// Classes: 0 = GPC, 1 = GNR, 2 = background.
const BACKGROUND = 2;

function expectClose(actual: number[], expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 9));
}

describe('aggregateTiles', () => {
  it('averages the organism tiles weighted by 1 - P(background), ignoring empty glass', () => {
    const tiles = [
      [0.8, 0.1, 0.1], // weight 0.9
      [0.2, 0.4, 0.4], // weight 0.6
      [0.0, 0.05, 0.95], // background: left out
      [0.01, 0.01, 0.98], // background: left out
    ];
    const field = aggregateTiles(tiles, { backgroundClass: BACKGROUND });
    expectClose(field, [(0.9 * 0.8 + 0.6 * 0.2) / 1.5, (0.9 * 0.1 + 0.6 * 0.4) / 1.5, (0.9 * 0.1 + 0.6 * 0.4) / 1.5]);
    expect(field.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('multiplies in per-tile weights', () => {
    const tiles = [
      [0.9, 0.0, 0.1],
      [0.0, 0.9, 0.1],
    ];
    expectClose(aggregateTiles(tiles, { backgroundClass: BACKGROUND, weights: [1, 3] }), [0.225, 0.675, 0.1]);
  });

  it('falls back to background when no tile shows organisms', () => {
    const tiles = [
      [0.2, 0.1, 0.7],
      [0.1, 0.3, 0.6],
    ];
    const field = aggregateTiles(tiles, { backgroundClass: BACKGROUND });
    expectClose(field, [0.15, 0.2, 0.65]);
    expect(field.indexOf(Math.max(...field))).toBe(BACKGROUND);
  });

  it('rejects malformed input', () => {
    expect(() => aggregateTiles([], { backgroundClass: 0 })).toThrow(/no tile/);
    expect(() => aggregateTiles([[0.5, 0.5], [1]], { backgroundClass: 0 })).toThrow(/same number/);
    expect(() => aggregateTiles([[0.5, 0.5]], { backgroundClass: 2 })).toThrow(/backgroundClass/);
    expect(() => aggregateTiles([[0.5, 0.5]], { backgroundClass: 0, weights: [1, 1] })).toThrow(/weights/);
  });
});

describe('detectMultipleMorphotypes', () => {
  const tiles = [
    [0.9, 0.05, 0.05],
    [0.85, 0.1, 0.05],
    [0.1, 0.8, 0.1],
    [0.2, 0.75, 0.05],
    [0.05, 0.9, 0.05],
    [0.0, 0.0, 1.0],
    [0.0, 0.02, 0.98],
  ];

  it('lists the morphotypes confidently present on enough tiles, most widespread first', () => {
    expect(detectMultipleMorphotypes(tiles, { threshold: 0.7, minTiles: 2, exclude: [BACKGROUND] })).toEqual([
      { classIndex: 1, tileCount: 3 },
      { classIndex: 0, tileCount: 2 },
    ]);
  });

  it('drops a morphotype seen on too few tiles or below the threshold', () => {
    expect(detectMultipleMorphotypes(tiles, { threshold: 0.7, minTiles: 3, exclude: [BACKGROUND] })).toEqual([{ classIndex: 1, tileCount: 3 }]);
    expect(detectMultipleMorphotypes(tiles, { threshold: 0.88, minTiles: 1, exclude: [BACKGROUND] })).toEqual([
      { classIndex: 0, tileCount: 1 },
      { classIndex: 1, tileCount: 1 },
    ]);
    expect(detectMultipleMorphotypes([], { threshold: 0.5, minTiles: 1 })).toEqual([]);
    expect(() => detectMultipleMorphotypes(tiles, { threshold: 0, minTiles: 1 })).toThrow(/threshold/);
  });
});
