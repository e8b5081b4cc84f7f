import { describe, expect, it } from 'vitest';
import { applyTemperature, brierScore, calibratedEceDraws, expectedCalibrationError, fitTemperature, reliabilityBins, TEMPERATURE_RANGE } from '../../src/evaluate/index.ts';
import { createRng } from '../../src/util/index.ts';

describe('reliability bins and ECE', () => {
  // Top-label confidences 0.9 (right), 0.85 (wrong), 0.55 (right), 0.7 (wrong).
  const labels = [0, 0, 1, 1];
  const probabilities = [
    [0.9, 0.1],
    [0.15, 0.85],
    [0.45, 0.55],
    [0.7, 0.3],
  ];

  it('bins top-label confidence into equal-width (lower, upper] bins', () => {
    const bins = reliabilityBins(labels, probabilities, { bins: 5 });
    expect(bins.map((b) => b.count)).toEqual([0, 0, 1, 1, 2]);
    expect(bins[4].meanConfidence).toBeCloseTo(0.875, 12);
    expect(bins[4].accuracy).toBe(0.5);
    expect(bins[2]).toMatchObject({ lower: 0.4, upper: 0.6, count: 1, meanConfidence: 0.55, accuracy: 1 });
    expect(bins[3]).toMatchObject({ count: 1, meanConfidence: 0.7, accuracy: 0 });
    expect(bins[0].accuracy).toBeNaN();
  });

  it('puts a confidence on a bin edge into the lower bin', () => {
    const bins = reliabilityBins([0, 0], [[0.6, 0.4], [1, 0]], { bins: 5 });
    expect(bins[2].count).toBe(1);
    expect(bins[4].count).toBe(1);
  });

  it('weights each bin gap by its share of samples', () => {
    // 2/4·|0.5 − 0.875| + 1/4·|1 − 0.55| + 1/4·|0 − 0.7|
    expect(expectedCalibrationError(labels, probabilities, { bins: 5 })).toBeCloseTo(0.475, 12);
    expect(reliabilityBins(labels, probabilities)).toHaveLength(15);
  });

  it('is zero for a model that is right exactly as often as it says', () => {
    const probs = Float32Array.from([0.75, 0.25, 0.75, 0.25, 0.75, 0.25, 0.75, 0.25]);
    expect(expectedCalibrationError([0, 0, 0, 1], probs)).toBe(0);
  });

  it('rejects NaN, out-of-range probabilities and a bad bin count', () => {
    expect(() => reliabilityBins([0], [[NaN, 1]])).toThrow('probabilities: value NaN at sample 0, class 0 is not a finite number');
    expect(() => reliabilityBins([0], [[1.2, -0.2]])).toThrow('probabilities: value 1.2 at sample 0, class 0 is not in [0, 1]');
    expect(() => reliabilityBins([0], [[1, 0]], { bins: 0 })).toThrow('bins must be a positive integer');
    expect(() => reliabilityBins([0, 2], [[1, 0], [0, 1]])).toThrow('labels: value 2 at index 1');
    expect(() => reliabilityBins([0, 1], Float32Array.from([1, 0, 0]))).toThrow('probabilities: flat length 3 is not 2 samples × k classes');
  });
});

describe('calibratedEceDraws', () => {
  it('finds no error for certain predictions and a constant one for a single coin flip', () => {
    expect(calibratedEceDraws([[1, 0], [0, 1], [0, 1]], 2, { draws: 20 })).toEqual(new Array(20).fill(0));
    // Confidence 0.5 for class 0; the drawn label is right or wrong, so |accuracy − 0.5| is 0.5 either way.
    expect(calibratedEceDraws([[0.5, 0.5]], 2, { draws: 20 })).toEqual(new Array(20).fill(0.5));
  });

  it('draws labels from the probabilities: two samples at (0.1, 0.1, 0.8)', () => {
    // Accuracy 1, 0.5, 0 with chance 0.64, 0.32, 0.04 → ECE 0.2, 0.3, 0.8; mean 0.256.
    const draws = calibratedEceDraws(Float32Array.from([0.1, 0.1, 0.8, 0.1, 0.1, 0.8]), 3, { draws: 4000, seed: 3 });
    expect(draws).toHaveLength(4000);
    expect(draws).toEqual([...draws].sort((a, b) => a - b));
    expect(new Set(draws.map((e) => e.toFixed(6)))).toEqual(new Set(['0.200000', '0.300000', '0.800000']));
    expect(draws.filter((e) => e < 0.25).length / 4000).toBeCloseTo(0.64, 1);
    expect(draws.reduce((a, b) => a + b, 0) / 4000).toBeCloseTo(0.256, 2);
  });

  it('rejects a bad draw count and shape', () => {
    expect(() => calibratedEceDraws([[0.5, 0.5]], 2, { draws: 0 })).toThrow('draws must be a positive integer, got 0');
    expect(() => calibratedEceDraws(Float32Array.from([0.5, 0.5, 1]), 2)).toThrow('probabilities: flat length 3 is not a multiple of 2 classes');
  });
});

describe('brierScore', () => {
  it('is twice scikit-learn brier_score_loss for two classes (documentation example 0.0375)', () => {
    const positive = [0.1, 0.9, 0.8, 0.3];
    expect(brierScore([0, 1, 1, 0], positive.map((p) => [1 - p, p]))).toBeCloseTo(2 * 0.0375, 12);
  });

  it('sums squared errors over all classes', () => {
    // (0.3² + 0.2² + 0.1²) + (0.2² + 0.3² + 0.5²) over 2 samples
    expect(brierScore([0, 2], [[0.7, 0.2, 0.1], [0.2, 0.3, 0.5]])).toBeCloseTo(0.26, 12);
  });
});

describe('temperature scaling', () => {
  it('solves a case by hand: logits (0, 1), labels 1, 1, 0 → σ(1/T) = 2/3 → T = 1/ln 2', () => {
    const logits = [[0, 1], [0, 1], [0, 1]];
    expect(fitTemperature(logits, [1, 1, 0])).toBeCloseTo(1 / Math.LN2, 10);
    expect(fitTemperature(Float32Array.from([0, 2, 0, 2, 0, 2]), [1, 1, 0])).toBeCloseTo(2 / Math.LN2, 10);
  });

  it('recovers the temperature that generated the labels', () => {
    const rng = createRng(5);
    const n = 4000;
    const k = 4;
    const trueTemperature = 2.5;
    const logits = new Float32Array(n * k);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) logits[i * k + c] = 3 * rng.normal();
      const probabilities = applyTemperature(logits.subarray(i * k, (i + 1) * k), trueTemperature, k);
      let u = rng.next();
      let label = 0;
      while (label < k - 1 && u >= probabilities[label]) u -= probabilities[label++];
      labels[i] = label;
    }
    expect(fitTemperature(logits, labels)).toBeGreaterThan(2.3);
    expect(fitTemperature(logits, labels)).toBeLessThan(2.7);
  });

  it('stops at the end of the search range when confidence can only help', () => {
    expect(fitTemperature([[5, 0], [0, 5]], [0, 1])).toBeCloseTo(TEMPERATURE_RANGE[0], 4);
  });

  it('applies softmax(logits / T) row by row', () => {
    const calibrated = applyTemperature([[0, Math.log(3)], [0, 2 * Math.log(3)]], 2, 2);
    expect(calibrated).toBeInstanceOf(Float32Array);
    expect(calibrated[1]).toBeCloseTo(Math.sqrt(3) / (1 + Math.sqrt(3)), 6);
    expect(calibrated[3]).toBeCloseTo(0.75, 6);
    expect(calibrated[2] + calibrated[3]).toBeCloseTo(1, 6);
    expect(Array.from(applyTemperature([[1000, 0]], 1, 2))).toEqual([1, 0]);
  });

  it('rejects bad temperatures and shapes', () => {
    expect(() => applyTemperature([[0, 1]], 0, 2)).toThrow('temperature must be a positive finite number, got 0');
    expect(() => applyTemperature(Float32Array.from([0, 1, 2]), 1, 2)).toThrow('logits: flat length 3 is not a multiple of 2 classes');
    expect(() => fitTemperature([[0, 1]], [0, 1])).toThrow('logits: 1 rows for 2 samples');
    expect(() => fitTemperature([[0, Infinity]], [0])).toThrow('logits: value Infinity at sample 0, class 1 is not a finite number');
  });
});
