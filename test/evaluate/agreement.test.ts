import { describe, expect, it } from 'vitest';
import { cohensKappa, fleissKappa } from '../../src/evaluate/index.ts';

/** Two raters' yes (1) / no (0) answers from a 2×2 table of counts. */
function ratersFromTable(bothYes: number, onlyA: number, onlyB: number, bothNo: number): [number[], number[]] {
  const pairs: [number, number][] = [
    ...new Array<[number, number]>(bothYes).fill([1, 1]),
    ...new Array<[number, number]>(onlyA).fill([1, 0]),
    ...new Array<[number, number]>(onlyB).fill([0, 1]),
    ...new Array<[number, number]>(bothNo).fill([0, 0]),
  ];
  return [pairs.map(([a]) => a), pairs.map(([, b]) => b)];
}

describe("Cohen's kappa", () => {
  it('matches the Wikipedia worked examples', () => {
    expect(cohensKappa(...ratersFromTable(20, 5, 10, 15), 2)).toBeCloseTo(0.4, 12);
    // Same observed agreement (60%), different chance agreement.
    expect(cohensKappa(...ratersFromTable(45, 15, 25, 15), 2)).toBeCloseTo(0.1304, 4);
    expect(cohensKappa(...ratersFromTable(25, 35, 5, 35), 2)).toBeCloseTo(0.2593, 4);
  });

  it('is 1 for perfect agreement and NaN when chance agreement is total', () => {
    expect(cohensKappa([0, 1, 2, 2], [0, 1, 2, 2], 3)).toBe(1);
    expect(cohensKappa([1, 1, 1], [1, 1, 1], 2)).toBeNaN();
  });

  it('rejects bad input', () => {
    expect(() => cohensKappa([0, 1], [0], 2)).toThrow('rater a vs rater b: lengths differ (2 vs 1)');
    expect(() => cohensKappa([0, 1], [0, 4], 3)).toThrow('rater b: value 4 at index 1');
  });
});

describe("Fleiss' kappa", () => {
  it('matches the Wikipedia worked example (14 raters, 10 items, 5 categories) = 0.210', () => {
    const counts = [
      [0, 0, 0, 0, 14],
      [0, 2, 6, 4, 2],
      [0, 0, 3, 5, 6],
      [0, 3, 9, 2, 0],
      [2, 2, 8, 1, 1],
      [7, 7, 0, 0, 0],
      [3, 2, 6, 3, 0],
      [2, 5, 3, 2, 2],
      [6, 5, 2, 1, 0],
      [0, 2, 2, 3, 7],
    ];
    expect(fleissKappa(counts)).toBeCloseTo(0.20993070442195522, 12);
  });

  it('equals 1 under perfect agreement', () => {
    expect(fleissKappa([[3, 0], [0, 3], [3, 0]])).toBe(1);
  });

  it('rejects rows with different rater counts, too few raters or bad counts', () => {
    expect(() => fleissKappa([[2, 1], [1, 1]])).toThrow('item 1 has 2 ratings, expected 3 like item 0');
    expect(() => fleissKappa([[1, 0]])).toThrow('need at least 2 raters per item, got 1');
    expect(() => fleissKappa([[2, 0], [1, 0.5, 0.5]])).toThrow('row 1 has 3 categories, expected 2');
    expect(() => fleissKappa([[3, -1]])).toThrow('value -1 at item 0, category 1 is not a non-negative integer');
    expect(() => fleissKappa([])).toThrow('rating counts: empty input');
  });
});
