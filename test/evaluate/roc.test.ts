import { describe, expect, it } from 'vitest';
import { aucTrapezoid, averagePrecision, precisionRecallCurve, rocAuc, rocAucOvr, rocCurve } from '../../src/evaluate/index.ts';
import { sortedIndices, weightedAuc } from '../../src/evaluate/roc.ts';
import { createRng } from '../../src/util/index.ts';

// The scikit-learn documentation example used by roc_curve, roc_auc_score, precision_recall_curve
// and average_precision_score.
const labels = [0, 0, 1, 1];
const scores = [0.1, 0.4, 0.35, 0.8];

describe('rocCurve', () => {
  it('matches scikit-learn roc_curve', () => {
    expect(rocCurve(labels, scores)).toEqual({ thresholds: [Infinity, 0.8, 0.4, 0.35, 0.1], fpr: [0, 0, 0.5, 0.5, 1], tpr: [0, 0.5, 0.5, 1, 1] });
    expect(rocCurve(Int32Array.from(labels), Float32Array.from(scores)).tpr).toEqual([0, 0.5, 0.5, 1, 1]);
  });

  it('moves tied scores together as one diagonal step', () => {
    const curve = rocCurve([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.9]);
    expect(curve).toEqual({ thresholds: [Infinity, 0.9, 0.5], fpr: [0, 0, 1], tpr: [0, 0.5, 1] });
    expect(aucTrapezoid(curve.fpr, curve.tpr)).toBe(0.75);
  });

  it('gives NaN rates when a class is missing, and rejects bad input', () => {
    expect(rocCurve([1, 1], [0.2, 0.4]).fpr).toEqual([NaN, NaN, NaN]);
    expect(rocAuc([0, 0], [0.2, 0.4])).toBeNaN();
    expect(() => rocCurve([0, 2], [0.1, 0.2])).toThrow('binary labels: value 2 at index 1 is not 0 or 1');
    expect(() => rocCurve([0, 1], [0.1, NaN])).toThrow('scores: value NaN at index 1 is not a finite number');
    expect(() => rocCurve([0, 1], [0.1])).toThrow('labels vs scores: lengths differ (2 vs 1)');
    expect(() => rocCurve([], [])).toThrow('labels: empty input');
  });
});

describe('aucTrapezoid', () => {
  it('integrates increasing and decreasing x alike', () => {
    expect(aucTrapezoid([0, 0.5, 1], [0, 1, 1])).toBe(0.75);
    expect(aucTrapezoid([1, 0.5, 0], [1, 1, 0])).toBe(0.75);
    expect(() => aucTrapezoid([0, 1, 0.5], [0, 1, 1])).toThrow('neither increasing nor decreasing');
    expect(() => aucTrapezoid([0], [0])).toThrow('need at least 2 points');
  });

  it('gives roc_auc_score = 0.75 on the scikit-learn example', () => {
    expect(rocAuc(labels, scores)).toBe(0.75);
  });
});

describe('rocAucOvr', () => {
  // Hand count of (positive, negative) pairs ranked correctly, ties counting one half.
  const multiLabels = [0, 0, 1, 1, 2, 2];
  const probabilities = [
    [0.8, 0.1, 0.1],
    [0.4, 0.5, 0.1],
    [0.3, 0.6, 0.1],
    [0.5, 0.2, 0.3],
    [0.2, 0.2, 0.6],
    [0.1, 0.3, 0.6],
  ];

  it('scores each class against the rest and averages', () => {
    const result = rocAucOvr(multiLabels, probabilities, 3);
    expect(result.perClass).toEqual([7 / 8, 5.5 / 8, 1]);
    expect(result.macro).toBeCloseTo((7 / 8 + 5.5 / 8 + 1) / 3, 12);
    expect(rocAucOvr(multiLabels, Float32Array.from(probabilities.flat()), 3).perClass[1]).toBeCloseTo(5.5 / 8, 12);
  });

  it('leaves a class without positives out of the macro mean', () => {
    const result = rocAucOvr([0, 1, 0, 1], [[0.9, 0.1, 0], [0.2, 0.8, 0], [0.6, 0.4, 0], [0.3, 0.7, 0]], 3);
    expect(result.perClass).toEqual([1, 1, NaN]);
    expect(result.macro).toBe(1);
  });

  it('rejects ragged rows and a wrong class count', () => {
    expect(() => rocAucOvr([0, 1], [[0.1, 0.9], [0.2]], 2)).toThrow('scores: row 1 has 1 values, expected 2');
    expect(() => rocAucOvr([0, 1], Float32Array.from([0.1, 0.9, 0.2, 0.8]), 3)).toThrow('scores: flat length 4 is not 2 samples × 3 classes');
  });
});

describe('weightedAuc (the bootstrap fast path)', () => {
  const rng = createRng(11);
  const n = 300;
  const binary = Array.from({ length: n }, () => (rng.chance(0.3) ? 1 : 0));
  // Rounded scores so that there are many ties.
  const tiedScores = binary.map((y) => Math.round((rng.normal() + y) * 4) / 4);

  it('equals the trapezoidal ROC AUC, ties included', () => {
    expect(weightedAuc(sortedIndices(tiedScores), tiedScores, binary, 1)).toBeCloseTo(rocAuc(binary, tiedScores), 12);
  });

  it('with integer weights equals the AUC of the data with samples repeated', () => {
    const weights = Int32Array.from({ length: n }, () => rng.int(3));
    const repeatedLabels: number[] = [];
    const repeatedScores: number[] = [];
    weights.forEach((w, i) => {
      for (let r = 0; r < w; r++) {
        repeatedLabels.push(binary[i]);
        repeatedScores.push(tiedScores[i]);
      }
    });
    expect(weightedAuc(sortedIndices(tiedScores), tiedScores, binary, 1, weights)).toBeCloseTo(rocAuc(repeatedLabels, repeatedScores), 12);
  });
});

describe('precision-recall', () => {
  it('matches scikit-learn precision_recall_curve', () => {
    const curve = precisionRecallCurve(labels, scores);
    expect(curve.precision).toHaveLength(5);
    [0.5, 2 / 3, 0.5, 1, 1].forEach((p, i) => expect(curve.precision[i]).toBeCloseTo(p, 12));
    expect(curve.recall).toEqual([1, 1, 0.5, 0.5, 0]);
    expect(curve.thresholds).toEqual([0.1, 0.35, 0.4, 0.8]);
  });

  it('matches scikit-learn average_precision_score = 0.8333', () => {
    expect(averagePrecision(labels, scores)).toBeCloseTo(0.8333333333333333, 12);
  });

  it('handles ties as one step and no positives as NaN', () => {
    // One threshold at 0.5 holding both samples: precision 1/2 at recall 1.
    expect(averagePrecision([0, 1], [0.5, 0.5])).toBe(0.5);
    expect(averagePrecision([0, 0], [0.1, 0.2])).toBeNaN();
  });
});
