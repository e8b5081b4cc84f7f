import { describe, expect, it } from 'vitest';
import { accuracy, balancedAccuracy, binaryMetrics, confusionMatrix, macroF1, perClassMetrics } from '../../src/evaluate/index.ts';

describe('confusionMatrix', () => {
  it('matches the scikit-learn confusion_matrix documentation example', () => {
    expect(confusionMatrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2], 3)).toEqual([
      [2, 0, 0],
      [0, 0, 1],
      [1, 0, 2],
    ]);
  });

  it('counts each sample as many times as its weight', () => {
    expect(confusionMatrix(Int32Array.from([0, 1, 1]), Int32Array.from([0, 1, 0]), 2, [2, 0, 3])).toEqual([
      [2, 0],
      [3, 0],
    ]);
  });

  it('rejects mismatched lengths, empty input, out-of-range labels and bad weights', () => {
    expect(() => confusionMatrix([0, 1], [0], 2)).toThrow('labels vs predicted: lengths differ (2 vs 1)');
    expect(() => confusionMatrix([], [], 2)).toThrow('labels: empty input');
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow('labels: value 3 at index 1 is not a class index in [0, 3)');
    expect(() => confusionMatrix([0, 1], [0, 1.5], 3)).toThrow('predicted: value 1.5 at index 1');
    expect(() => confusionMatrix([0, 1], [0, 1], 1)).toThrow('number of classes must be an integer >= 2');
    expect(() => confusionMatrix([0, 1], [0, 1], 2, [1, -1])).toThrow('weights: value -1 at index 1');
  });
});

describe('per-class metrics', () => {
  // [[2,0,0],[0,0,1],[1,0,2]] worked by hand, one class against the rest.
  const cm = confusionMatrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2], 3);

  it('derives sensitivity, specificity, PPV, NPV, F1 and support one-vs-rest', () => {
    const [c0, c1, c2] = perClassMetrics(cm);
    expect(c0).toMatchObject({ tp: 2, fp: 1, fn: 0, tn: 3, support: 2, sensitivity: 1, specificity: 0.75, npv: 1, f1: 0.8 });
    expect(c0.ppv).toBeCloseTo(2 / 3, 12);
    expect(c1).toMatchObject({ tp: 0, fp: 0, fn: 1, tn: 5, support: 1, sensitivity: 0, specificity: 1, f1: 0 });
    expect(c1.npv).toBeCloseTo(5 / 6, 12);
    for (const value of [c2.sensitivity, c2.specificity, c2.ppv, c2.npv, c2.f1]) expect(value).toBeCloseTo(2 / 3, 12);
  });

  it('defines 0/0 as NaN (PPV of a class never predicted)', () => {
    expect(perClassMetrics(cm)[1].ppv).toBeNaN();
    expect(binaryMetrics({ tp: 0, fp: 0, fn: 0, tn: 4 })).toEqual({ sensitivity: NaN, specificity: 1, ppv: NaN, npv: 1, f1: NaN });
  });

  it('computes accuracy, balanced accuracy and macro F1', () => {
    expect(accuracy(cm)).toBeCloseTo(4 / 6, 12);
    expect(balancedAccuracy(cm)).toBeCloseTo((1 + 0 + 2 / 3) / 3, 12);
    expect(macroF1(cm)).toBeCloseTo((0.8 + 0 + 2 / 3) / 3, 12);
  });

  it('matches scikit-learn documentation examples', () => {
    // f1_score([0,1,2,0,1,2], [0,2,1,0,0,1], average='macro') = 0.2666..., per class [0.8, 0, 0]
    const f1Example = confusionMatrix([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], 3);
    expect(macroF1(f1Example)).toBeCloseTo(0.26666666666666666, 12);
    expect(perClassMetrics(f1Example).map((m) => m.f1)).toEqual([0.8, 0, 0]);
    // balanced_accuracy_score([0,1,0,0,1,0], [0,1,0,0,0,1]) = 0.625
    expect(balancedAccuracy(confusionMatrix([0, 1, 0, 0, 1, 0], [0, 1, 0, 0, 0, 1], 2))).toBeCloseTo(0.625, 12);
  });

  it('skips classes that are absent from labels and predictions in the averages', () => {
    const absentClass = confusionMatrix([0, 0, 1, 1], [0, 0, 1, 0], 3);
    expect(perClassMetrics(absentClass)[2].f1).toBeNaN();
    expect(balancedAccuracy(absentClass)).toBeCloseTo(0.75, 12);
    expect(macroF1(absentClass)).toBeCloseTo((0.8 + 2 / 3) / 2, 12);
  });

  it('rejects a non-square matrix', () => {
    expect(() => perClassMetrics([[1, 2], [3]])).toThrow('confusion matrix: must be square');
    expect(() => accuracy([])).toThrow('confusion matrix: empty input');
  });
});
