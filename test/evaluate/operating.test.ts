import { describe, expect, it } from 'vitest';
import { referralRate, selectConfidenceForAccuracy, thresholdForSensitivity } from '../../src/evaluate/index.ts';

describe('thresholdForSensitivity', () => {
  const labels = [0, 0, 1, 1];
  const scores = [0.1, 0.4, 0.35, 0.8];

  it('takes the highest threshold that reaches the target sensitivity', () => {
    expect(thresholdForSensitivity(labels, scores, 0.5)).toEqual({ threshold: 0.8, sensitivity: 0.5, specificity: 1 });
    expect(thresholdForSensitivity(labels, scores, 0.9)).toEqual({ threshold: 0.35, sensitivity: 1, specificity: 0.5 });
    expect(thresholdForSensitivity(labels, scores, 1)).toEqual({ threshold: 0.35, sensitivity: 1, specificity: 0.5 });
  });

  it('rejects an impossible target and data without positives', () => {
    expect(() => thresholdForSensitivity(labels, scores, 0)).toThrow('target sensitivity must be in (0, 1], got 0');
    expect(() => thresholdForSensitivity([0, 0], [0.1, 0.2], 0.9)).toThrow('no positive samples');
  });
});

describe('referral by confidence', () => {
  // Top probabilities 0.9 (right), 0.6 (right), 0.4 (wrong), 0.8 (wrong), 0.7 (right).
  const labels = [0, 1, 2, 0, 2];
  const probabilities = [
    [0.9, 0.05, 0.05],
    [0.2, 0.6, 0.2],
    [0.4, 0.3, 0.3],
    [0.1, 0.8, 0.1],
    [0.1, 0.2, 0.7],
  ];

  it('refers cases below the level and scores the rest', () => {
    expect(referralRate(probabilities, 3, 0.7, labels)).toEqual({
      confidenceLevel: 0.7,
      referralRate: 0.4,
      referredCount: 2,
      retainedCount: 3,
      retainedAccuracy: 2 / 3,
    });
    expect(referralRate(Float32Array.from(probabilities.flat()), 3, 0.95).referralRate).toBe(1);
    expect(referralRate(probabilities, 3, 0.95, labels).retainedAccuracy).toBeNaN();
    expect(referralRate(probabilities, 3, 0.7).retainedAccuracy).toBeNaN();
  });

  it('finds the lowest level that reaches a target accuracy', () => {
    // Retaining ≥ 0.9: 1/1; ≥ 0.8: 1/2; ≥ 0.7: 2/3; ≥ 0.6: 3/4; all: 3/5.
    expect(selectConfidenceForAccuracy(labels, probabilities, 3, 0.75)).toMatchObject({ confidenceLevel: 0.6, referralRate: 0.2, retainedAccuracy: 0.75 });
    expect(selectConfidenceForAccuracy(labels, probabilities, 3, 0.6)).toMatchObject({ confidenceLevel: 0.4, referralRate: 0 });
    expect(selectConfidenceForAccuracy(labels, probabilities, 3, 1)).toMatchObject({ confidenceLevel: 0.9, referredCount: 4 });
    expect(selectConfidenceForAccuracy([1], [[0.9, 0.1]], 2, 0.5)).toBeNull();
  });

  it('rejects bad levels and shapes', () => {
    expect(() => referralRate(probabilities, 3, 1.5)).toThrow('confidence level must be in [0, 1], got 1.5');
    expect(() => referralRate(Float32Array.from([0.5, 0.5, 1]), 2, 0.5)).toThrow('probabilities: flat length 3 is not a multiple of 2 classes');
    expect(() => referralRate(probabilities, 3, 0.5, [0, 1])).toThrow('probabilities: 5 rows for 2 samples');
    expect(() => selectConfidenceForAccuracy(labels, probabilities, 3, 0)).toThrow('target accuracy must be in (0, 1]');
  });
});
