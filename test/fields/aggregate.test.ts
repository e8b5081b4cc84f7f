import { describe, expect, it } from 'vitest';
import { aggregateTiles } from '../../src/fields/index.ts';

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
