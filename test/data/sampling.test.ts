import { describe, expect, it } from 'vitest';
import { SAMPLING_STRATEGIES, balancedBatches, classWeights, epochIndices, oversample, undersample } from '../../src/data/index.ts';
import { createRng } from '../../src/util/index.ts';

// 8 of class 0, 3 of class 1, 1 of class 2
const LABELS = Int32Array.from([0, 0, 1, 0, 0, 2, 0, 1, 0, 0, 1, 0]);
const ALL = Array.from(LABELS.keys());
const countOf = (indices: number[], label: number): number => indices.filter((i) => LABELS[i] === label).length;

describe('classWeights', () => {
  it('gives n / (k · count) per class and 0 for an absent class', () => {
    const weights = classWeights(LABELS, 4);
    expect(Array.from(weights)).toEqual([12 / (4 * 8), 12 / (4 * 3), 12 / (4 * 1), 0].map(Math.fround));
    expect(() => classWeights([0, 3], 2)).toThrow('Label 3 at index 1 is not a class index in 0..1');
  });

  it('makes every class contribute the same total weight', () => {
    const weights = classWeights(LABELS, 3);
    const totals = [0, 1, 2].map((c) => countOf(ALL, c) * weights[c]);
    for (const total of totals) expect(total).toBeCloseTo(4, 5);
  });
});

describe('oversample / undersample', () => {
  it('oversample brings every class to the majority count, keeping every original sample', () => {
    const result = oversample(ALL, LABELS, createRng(1));
    expect([0, 1, 2].map((c) => countOf(result, c))).toEqual([8, 8, 8]);
    for (const index of ALL) expect(result).toContain(index);
    expect(oversample(ALL, LABELS, createRng(1))).toEqual(result);
  });

  it('undersample cuts every class to the minority count, without repeats', () => {
    const result = undersample(ALL, LABELS, createRng(2));
    expect([0, 1, 2].map((c) => countOf(result, c))).toEqual([1, 1, 1]);
    expect(new Set(result).size).toBe(3);
    const subset = undersample([0, 1, 2, 7, 10], LABELS, createRng(3));
    expect(subset.every((i) => [0, 1, 2, 7, 10].includes(i))).toBe(true);
    expect([0, 1].map((c) => countOf(subset, c))).toEqual([2, 2]);
  });
});

describe('balancedBatches', () => {
  it('gives each class an equal share of every batch and spreads the remainder', () => {
    const batches = balancedBatches(ALL, LABELS, { batchSize: 7, numBatches: 30 }, createRng(4));
    expect(batches).toHaveLength(30);
    const remainderCounts = [0, 0, 0];
    for (const batch of batches) {
      expect(batch).toHaveLength(7);
      const perClass = [0, 1, 2].map((c) => countOf(batch, c));
      for (const count of perClass) expect(count === 2 || count === 3).toBe(true);
      remainderCounts[perClass.indexOf(3)]++;
    }
    expect(Math.min(...remainderCounts)).toBeGreaterThan(3);
  });

  it('cycles through a class before repeating a sample', () => {
    const batches = balancedBatches(ALL, LABELS, { batchSize: 3, numBatches: 8 }, createRng(5));
    const classZero = batches.flat().filter((i) => LABELS[i] === 0);
    expect(new Set(classZero).size).toBe(8);
  });
});

describe('epochIndices', () => {
  it('returns a deterministic epoch for every strategy', () => {
    const expectedLengths = { none: 12, 'class-weights': 12, oversample: 24, undersample: 3, 'balanced-batches': 12 };
    for (const strategy of SAMPLING_STRATEGIES) {
      const epoch = epochIndices(strategy, LABELS, createRng(6), { batchSize: 6 });
      expect(epoch, strategy).toHaveLength(expectedLengths[strategy]);
      expect(epochIndices(strategy, LABELS, createRng(6), { batchSize: 6 })).toEqual(epoch);
    }
    const shuffled = epochIndices('none', LABELS, createRng(6));
    expect([...shuffled].sort((a, b) => a - b)).toEqual(ALL);
    expect(shuffled).not.toEqual(ALL);
  });

  it('balanced-batches epochs hold the classes in equal shares per batch', () => {
    const epoch = epochIndices('balanced-batches', LABELS, createRng(7), { batchSize: 6 });
    for (const start of [0, 6]) {
      const batch = epoch.slice(start, start + 6);
      expect([0, 1, 2].map((c) => countOf(batch, c))).toEqual([2, 2, 2]);
    }
  });

  it('names the valid strategies for an unknown one', () => {
    expect(() => epochIndices('smote' as 'none', LABELS, createRng(1))).toThrow(
      'Unknown sampling strategy "smote"; use one of none, oversample, undersample, class-weights, balanced-batches',
    );
  });
});
