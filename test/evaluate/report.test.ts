import { describe, expect, it } from 'vitest';
import {
  brierScore,
  confusionMatrix,
  evaluateClassifier,
  expectedCalibrationError,
  perClassMetrics,
  rocAucOvr,
  wilsonInterval,
  type ClassifierReport,
} from '../../src/evaluate/index.ts';
import { createRng } from '../../src/util/index.ts';

/** A seeded k-class problem: softmax of noisy logits with a bonus on the true class; 3 images per patient. */
function syntheticPredictions(n: number, k: number, seed: number, separation = 3) {
  const rng = createRng(seed);
  const labels = new Int32Array(n);
  const probabilities = new Float32Array(n * k);
  const groups: string[] = [];
  for (let i = 0; i < n; i++) {
    labels[i] = rng.int(k);
    groups.push(`patient-${Math.floor(i / 3)}`);
    const logits = Array.from({ length: k }, (_, c) => rng.normal() + (c === labels[i] ? separation : 0));
    const max = Math.max(...logits);
    const exps = logits.map((l) => Math.exp(l - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    exps.forEach((e, c) => (probabilities[i * k + c] = e / sum));
  }
  return { labels, probabilities, groups };
}

const classNames = ['GPC clusters', 'GPC chains', 'GNR'];

describe('evaluateClassifier', () => {
  const { labels, probabilities, groups } = syntheticPredictions(300, 3, 1);
  const report = evaluateClassifier({ labels, probabilities, classNames, groups, seed: 7, bootstrapIterations: 300 });

  it('reports point estimates equal to the library functions', () => {
    const predicted = Int32Array.from({ length: 300 }, (_, i) => {
      const row = Array.from(probabilities.subarray(i * 3, i * 3 + 3));
      return row.indexOf(Math.max(...row));
    });
    const cm = confusionMatrix(labels, predicted, 3);
    const metrics = perClassMetrics(cm);
    const auc = rocAucOvr(labels, probabilities, 3);
    expect(report.confusionMatrix).toEqual(cm);
    expect(report.accuracy.value).toBeCloseTo((cm[0][0] + cm[1][1] + cm[2][2]) / 300, 12);
    expect(report.macroAuc.value).toBeCloseTo(auc.macro, 12);
    report.perClass.forEach((c, i) => {
      expect(c.name).toBe(classNames[i]);
      expect(c.support).toBe(metrics[i].support);
      expect(c.sensitivity.value).toBe(metrics[i].sensitivity);
      expect(c.npv.value).toBe(metrics[i].npv);
      expect(c.auc.value).toBe(auc.perClass[i]);
    });
    expect(report.expectedCalibrationError).toBe(expectedCalibrationError(labels, probabilities, { bins: 15 }));
    expect(report.brierScore).toBe(brierScore(labels, probabilities));
    expect(report).toMatchObject({ sampleCount: 300, patientCount: 100, bootstrap: { iterations: 300, seed: 7, resampled: 'patients' } });
  });

  it('brackets every point estimate with its 95% interval', () => {
    const estimates = [report.accuracy, report.balancedAccuracy, report.macroF1, report.macroAuc, ...report.perClass.flatMap((c) => [c.sensitivity, c.specificity, c.ppv, c.npv, c.f1, c.auc])];
    for (const { value, ci95 } of estimates) {
      expect(ci95[0]).toBeLessThanOrEqual(value!);
      expect(ci95[1]).toBeGreaterThanOrEqual(value!);
      expect(ci95[1]! - ci95[0]!).toBeLessThan(0.3);
    }
  });

  it('survives a JSON round trip unchanged and is reproducible from the seed', () => {
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    expect(evaluateClassifier({ labels, probabilities, classNames, groups, seed: 7, bootstrapIterations: 300 })).toEqual(report);
    expect(evaluateClassifier({ labels, probabilities, classNames, groups, seed: 8, bootstrapIterations: 300 }).macroAuc.ci95).not.toEqual(report.macroAuc.ci95);
  });

  it('widens intervals when images of a patient are resampled together', () => {
    // Each patient's three images are copies, so there are only 100 independent cases.
    const copies = syntheticPredictions(100, 3, 2, 1);
    const repeat = <T extends Int32Array | Float32Array>(values: T, width: number): T => {
      const out = new (values.constructor as new (length: number) => T)(values.length * 3);
      for (let i = 0; i < values.length / width; i++) for (let r = 0; r < 3; r++) out.set(values.subarray(i * width, (i + 1) * width), (i * 3 + r) * width);
      return out;
    };
    const options = { labels: repeat(copies.labels, 1), probabilities: repeat(copies.probabilities, 3), classNames, seed: 3, bootstrapIterations: 400 };
    const width = (r: ClassifierReport) => r.accuracy.ci95[1]! - r.accuracy.ci95[0]!;
    const byImage = evaluateClassifier(options);
    const byPatient = evaluateClassifier({ ...options, groups: Array.from({ length: 300 }, (_, i) => Math.floor(i / 3)) });
    expect(byImage.accuracy.ciMethod).toBe('bootstrap');
    expect(width(byPatient) / width(byImage)).toBeGreaterThan(1.4); // ≈ √3
  });

  it('falls back to the Wilson interval where the bootstrap is degenerate, and reports 0/0 as null', () => {
    // Class 0 always right (sensitivity 100%); class 2 never predicted (PPV 0/0).
    const fixedLabels = [0, 0, 0, 0, 1, 1, 1, 2, 2, 1];
    const fixedProbabilities = [
      [0.9, 0.1, 0],
      [0.8, 0.2, 0],
      [0.7, 0.3, 0],
      [0.6, 0.3, 0.1],
      [0.1, 0.8, 0.1],
      [0.2, 0.7, 0.1],
      [0.5, 0.4, 0.1],
      [0.3, 0.6, 0.1],
      [0.2, 0.5, 0.3],
      [0.1, 0.6, 0.3],
    ];
    const small = evaluateClassifier({ labels: fixedLabels, probabilities: fixedProbabilities, classNames, seed: 1, bootstrapIterations: 200 });
    const wilson = wilsonInterval(4, 4);
    expect(small.perClass[0].sensitivity).toEqual({ value: 1, ci95: [wilson.lower, wilson.upper], ciMethod: 'wilson' });
    expect(small.perClass[2].ppv).toEqual({ value: null, ci95: [null, null], ciMethod: 'wilson' });
    expect(small.perClass[2].f1.value).toBe(0);
    expect(small.perClass[1].sensitivity.ciMethod).toBe('bootstrap');
    expect(small.bootstrap.resampled).toBe('samples');
    expect(small.patientCount).toBeNull();
  });

  it('rejects mismatched class names, groups and probabilities', () => {
    expect(() => evaluateClassifier({ labels, probabilities, classNames: ['a', 'b'], seed: 1 })).toThrow('probabilities: flat length 900 is not 300 samples × 2 classes');
    expect(() => evaluateClassifier({ labels, probabilities, classNames, groups: ['a'], seed: 1 })).toThrow('labels vs groups: lengths differ (300 vs 1)');
    expect(() => evaluateClassifier({ labels: [0, 1], probabilities: [[0.5, NaN, 0.5], [0.2, 0.3, 0.5]], classNames, seed: 1 })).toThrow(
      'probabilities: value NaN at sample 0, class 1 is not a finite number',
    );
  });
});
