import { describe, expect, it } from 'vitest';
import { bootstrapCi, bootstrapCis, expandWeights, normalQuantile, quantileOfSorted, wilsonInterval } from '../../src/evaluate/index.ts';
import { createRng } from '../../src/util/index.ts';

const weightedMean = (values: ArrayLike<number>) => (weights: Int32Array) => {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    sum += weights[i] * values[i];
    count += weights[i];
  }
  return sum / count;
};

describe('normalQuantile', () => {
  it('matches reference quantiles of the standard normal', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.9599639845400536, 7);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0.9)).toBeCloseTo(1.2815515655446008, 7);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 7);
    expect(normalQuantile(0.9999)).toBeCloseTo(3.7190164854557084, 7);
    expect(() => normalQuantile(1)).toThrow('p must be in (0, 1)');
  });
});

describe('wilsonInterval', () => {
  it('matches statsmodels proportion_confint(method="wilson")', () => {
    const middle = wilsonInterval(8, 10);
    expect(middle.lower).toBeCloseTo(0.49016247153664183, 7);
    expect(middle.upper).toBeCloseTo(0.9433178485456247, 7);
    const perfect = wilsonInterval(20, 20);
    expect(perfect.lower).toBeCloseTo(0.8388748419471808, 7);
    expect(perfect.upper).toBe(1);
    // Zero successes: the upper bound is z² / (n + z²).
    expect(wilsonInterval(0, 10)).toEqual({ lower: 0, upper: expect.closeTo(0.27753279986288915, 8) });
  });

  it('widens with the confidence level and is NaN without trials', () => {
    expect(wilsonInterval(8, 10, 0.01).lower).toBeLessThan(wilsonInterval(8, 10).lower);
    expect(wilsonInterval(0, 0)).toEqual({ lower: NaN, upper: NaN });
    expect(() => wilsonInterval(11, 10)).toThrow('successes must be an integer in [0, 10], got 11');
    expect(() => wilsonInterval(1, 10, 1.5)).toThrow('alpha must be in (0, 1)');
  });
});

describe('quantileOfSorted and expandWeights', () => {
  it('interpolates linearly like numpy.percentile', () => {
    expect(quantileOfSorted([1, 2, 3, 4], 0.25)).toBe(1.75);
    expect(quantileOfSorted([1, 2, 3, 4], 0.975)).toBeCloseTo(3.925, 12);
    expect(quantileOfSorted([7], 0.025)).toBe(7);
    expect(quantileOfSorted([], 0.5)).toBeNaN();
  });

  it('repeats each index by its weight', () => {
    expect(Array.from(expandWeights([0, 2, 1]))).toEqual([1, 1, 2]);
  });
});

describe('bootstrapCi', () => {
  const rng = createRng(3);
  const values = Array.from({ length: 400 }, () => 5 + 2 * rng.normal());
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));

  it('gives the textbook interval for a mean and is reproducible from the seed', () => {
    const interval = bootstrapCi(weightedMean(values), { n: values.length, seed: 1 });
    const normalHalfWidth = (1.96 * sd) / Math.sqrt(values.length);
    expect(interval.validReplicates).toBe(1000);
    expect(interval.lower).toBeLessThan(mean);
    expect(interval.upper).toBeGreaterThan(mean);
    expect((interval.upper - interval.lower) / 2).toBeCloseTo(normalHalfWidth, 1);
    expect(bootstrapCi(weightedMean(values), { n: values.length, seed: 1 })).toEqual(interval);
    expect(bootstrapCi(weightedMean(values), { n: values.length, seed: 2 })).not.toEqual(interval);
  });

  it('draws n samples per replicate', () => {
    const totals = new Set<number>();
    bootstrapCi((weights) => {
      totals.add(weights.reduce((a, b) => a + b, 0));
      return 0;
    }, { n: 50, seed: 1, iterations: 20 });
    expect([...totals]).toEqual([50]);
  });

  it('resamples whole patients when groups are given', () => {
    // 40 patients, 10 near-identical images each: only 40 independent observations.
    const patientRng = createRng(9);
    const groups: string[] = [];
    const clustered: number[] = [];
    for (let p = 0; p < 40; p++) {
      const patientValue = patientRng.normal();
      for (let image = 0; image < 10; image++) {
        groups.push(`patient-${p}`);
        clustered.push(patientValue + 0.01 * patientRng.normal());
      }
    }
    const bySample = bootstrapCi(weightedMean(clustered), { n: clustered.length, seed: 4 });
    const byPatient = bootstrapCi(weightedMean(clustered), { n: clustered.length, groups, seed: 4 });
    const ratio = (byPatient.upper - byPatient.lower) / (bySample.upper - bySample.lower);
    expect(ratio).toBeGreaterThan(2.5); // ≈ √10 for perfectly correlated images
    expect(ratio).toBeLessThan(4.5);

    bootstrapCi((weights) => {
      for (let i = 0; i < clustered.length; i++) expect(weights[i]).toBe(weights[i - (i % 10)]);
      return 0;
    }, { n: clustered.length, groups, seed: 4, iterations: 5 });
  });

  it('leaves out replicates where the statistic is undefined', () => {
    const interval = bootstrapCi((weights) => (weights[0] === 0 ? NaN : 1), { n: 100, seed: 1 });
    // P(sample 0 drawn) = 1 − (1 − 1/100)^100 ≈ 0.634
    expect(interval.validReplicates).toBeGreaterThan(580);
    expect(interval.validReplicates).toBeLessThan(690);
    expect(interval).toMatchObject({ lower: 1, upper: 1 });
    expect(bootstrapCi(() => NaN, { n: 5, seed: 1, iterations: 10 })).toEqual({ lower: NaN, upper: NaN, validReplicates: 0 });
  });

  it('computes several statistics from the same replicates', () => {
    const [meanInterval, doubled] = bootstrapCis(
      (weights, out) => {
        out[0] = weightedMean(values)(weights);
        out[1] = 2 * out[0];
      },
      2,
      { n: values.length, seed: 1 },
    );
    expect(meanInterval).toEqual(bootstrapCi(weightedMean(values), { n: values.length, seed: 1 }));
    expect(doubled.lower).toBeCloseTo(2 * meanInterval.lower, 12);
  });

  it('rejects bad options', () => {
    expect(() => bootstrapCi(() => 0, { n: 0, seed: 1 })).toThrow('bootstrap: n must be a positive integer, got 0');
    expect(() => bootstrapCi(() => 0, { n: 3, groups: ['a'], seed: 1 })).toThrow('bootstrap: 1 group ids for 3 samples');
    expect(() => bootstrapCi(() => 0, { n: 3, seed: 1, iterations: 0 })).toThrow('iterations must be a positive integer');
    expect(() => bootstrapCi(() => 0, { n: 3, seed: 1, alpha: 0 })).toThrow('alpha must be in (0, 1)');
  });
});
