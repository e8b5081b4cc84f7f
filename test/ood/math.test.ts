import { describe, expect, it } from 'vitest';
import { EmbeddingScorer, averagePool, fieldTileRefusal, fitEmbeddingStatistics, symmetricEigen, thresholdForRefusal } from '../../src/ood/index.ts';
import { createRng } from '../../src/util/index.ts';

describe('symmetricEigen', () => {
  it('finds the eigenvalues and unit eigenvectors of a 2 × 2 matrix', () => {
    const { values, vectors } = symmetricEigen([2, 1, 1, 2], 2);
    expect(Array.from(values)).toEqual([expect.closeTo(3, 12), expect.closeTo(1, 12)]);
    // (1, 1)/√2 for 3 and (1, −1)/√2 for 1, up to sign.
    expect(Math.abs(vectors[0] * vectors[1] * 2)).toBeCloseTo(1, 12);
    expect(vectors[0] * vectors[1]).toBeGreaterThan(0);
    expect(vectors[2] * vectors[3]).toBeLessThan(0);
  });

  it('orders a diagonal matrix’s values, largest first, with the unit vectors', () => {
    const { values, vectors } = symmetricEigen([1, 0, 0, 0, 5, 0, 0, 0, 3], 3);
    expect(Array.from(values)).toEqual([5, 3, 1]);
    expect(Array.from(vectors).map(Math.abs)).toEqual([0, 1, 0, 0, 0, 1, 1, 0, 0]);
  });

  it('rebuilds a random symmetric matrix from its decomposition', () => {
    const rng = createRng(4);
    const n = 12;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rng.normal();
    const { values, vectors } = symmetricEigen(a, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let k = 0; k < n; k++) sum += vectors[k * n + i] * values[k] * vectors[k * n + j];
        expect(sum).toBeCloseTo(a[i * n + j], 9);
      }
    }
  });

  it('refuses a matrix that is not symmetric or not square', () => {
    expect(() => symmetricEigen([1, 2, 3, 4], 2)).toThrow(/not symmetric/);
    expect(() => symmetricEigen([1, 2, 3], 2)).toThrow(/2 × 2/);
  });
});

describe('the Mahalanobis score', () => {
  // Two classes of four points around (0, 0) and (10, 0): deviations (±1, 0), (0, ±1), so the
  // shared covariance is diag(4, 4) / (8 − 2) = (2/3) I.
  const points = [
    [1, 0], [-1, 0], [0, 1], [0, -1],
    [11, 0], [9, 0], [10, 1], [10, -1],
  ];
  const labels = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1]);
  const embeddings = Float32Array.from(points.flat());

  it('is the squared distance to the nearest class mean over the shared covariance', () => {
    const statistics = fitEmbeddingStatistics(embeddings, labels, 2, 2);
    expect(statistics.means).toEqual([[0, 0], [10, 0]]);
    expect(statistics.variances).toEqual([expect.closeTo(2 / 3, 5), expect.closeTo(2 / 3, 5)]);
    const scorer = new EmbeddingScorer(statistics);
    expect(scorer.score([0, 0])).toBeCloseTo(0, 5);
    expect(scorer.score([3, 0])).toBeCloseTo(9 * 1.5, 4);
    expect(scorer.score([8, 2])).toBeCloseTo(8 * 1.5, 4);
  });

  it('weighs the directions left out by their mean variance', () => {
    const full = new EmbeddingScorer(fitEmbeddingStatistics(embeddings, labels, 2, 2));
    const statistics = fitEmbeddingStatistics(embeddings, labels, 2, 2, { maxRank: 1 });
    expect(statistics.axes).toHaveLength(1);
    expect(statistics.residualVariance).toBeCloseTo(2 / 3, 5);
    expect(new EmbeddingScorer(statistics).score([3, -2])).toBeCloseTo(full.score([3, -2]), 4);
  });

  it('floors the variance of a direction training never uses, so that using it scores high but finitely', () => {
    const flat = Float32Array.from(points.flatMap(([x, y]) => [x, y, 0]));
    const statistics = fitEmbeddingStatistics(flat, labels, 2, 3, { varianceFloor: 1e-3 });
    const floor = 1e-3 * ((2 / 3 + 2 / 3) / 3);
    expect(statistics.variances[2]).toBeCloseTo(floor, 8);
    expect(new EmbeddingScorer(statistics).score([0, 0, 0.1])).toBeCloseTo(0.01 / floor, 0);
  });

  it('leaves out rows with other labels and needs an image of every class', () => {
    const withCoarse = Float32Array.from([...points.flat(), 100, 100]);
    const coarse = Int32Array.from([...labels, 2]);
    expect(fitEmbeddingStatistics(withCoarse, coarse, 2, 2).means).toEqual([[0, 0], [10, 0]]);
    expect(() => fitEmbeddingStatistics(embeddings, labels, 3, 2)).toThrow(/no embedding of class 2/);
    expect(() => fitEmbeddingStatistics(embeddings, labels, 2, 3)).toThrow(/8 × 3/);
  });

  it('rejects an embedding of the wrong size and malformed statistics', () => {
    const statistics = fitEmbeddingStatistics(embeddings, labels, 2, 2);
    expect(() => new EmbeddingScorer(statistics).score([1, 2, 3])).toThrow(/2 values/);
    expect(() => new EmbeddingScorer({ ...statistics, variances: [1] })).toThrow(/malformed/);
  });
});

describe('averagePool', () => {
  it('averages each channel over the map', () => {
    // 2 × 1 map, 3 channels.
    expect(Array.from(averagePool({ data: [1, 2, 3, 3, 4, 5], height: 2, width: 1, channels: 3 }))).toEqual([2, 3, 4]);
    expect(() => averagePool({ data: [1, 2], height: 2, width: 1, channels: 3 })).toThrow(/2×1×3/);
  });
});

describe('thresholdForRefusal', () => {
  const scores = Array.from({ length: 100 }, (_, i) => 100 - i);

  it('is the level above which the given share of validation scores lies', () => {
    expect(thresholdForRefusal(scores, 0.01)).toBe(99);
    expect(scores.filter((s) => s > thresholdForRefusal(scores, 0.05)).length).toBe(5);
    expect(thresholdForRefusal(scores, 0)).toBe(100);
  });

  it('refuses to choose on no scores or an impossible share', () => {
    expect(() => thresholdForRefusal([], 0.01)).toThrow(/no validation scores/);
    expect(() => thresholdForRefusal(scores, 1)).toThrow(/\[0, 1\)/);
  });
});

describe('fieldTileRefusal', () => {
  it('refuses a field when more than half of the tiles read are unfamiliar', () => {
    expect(fieldTileRefusal(0, 0)).toBeNull();
    expect(fieldTileRefusal(10, 5)).toBeNull();
    expect(fieldTileRefusal(10, 6)).toEqual({ code: 'unfamiliar', reason: 'most of the field (6 of the 10 tiles read) is unlike anything the model was trained on', tiles: { read: 10, unfamiliar: 6 } });
    expect(fieldTileRefusal(1, 1)?.code).toBe('unfamiliar');
  });
});
