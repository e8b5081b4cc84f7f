import { describe, expect, it } from 'vitest';
import { evaluateClassifier, MIN_TEST_IMAGES, operatingPointOutcomes, summariseTestReport, targetVerdict, wilsonInterval } from '../../src/evaluate/index.ts';

/** n images alternating between two classes, each predicted right with probability 0.9. */
function perfect(n: number) {
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  const probabilities = Float32Array.from({ length: 2 * n }, (_, j) => (j % 2 === Math.floor(j / 2) % 2 ? 0.9 : 0.1));
  const groups = Array.from({ length: n }, (_, i) => `p${Math.floor(i / 2)}`);
  return { labels, probabilities, groups, classNames: ['a', 'b'], seed: 1, bootstrapIterations: 200 };
}

describe('test summary', () => {
  it('gives no figure on a test set too small for one, and says why', () => {
    const report = evaluateClassifier(perfect(4));
    expect(report.accuracy.value).toBe(1);
    const summary = summariseTestReport(report, []);
    expect(summary).toMatchObject({ images: 4, patients: 2, accuracy: null, expectedCalibrationError: null, intervals: {} });
    expect(summary.tooFew).toBe(`only 4 test images of 2 patients: at least ${MIN_TEST_IMAGES} are needed for a figure`);
  });

  it('gives figures with their 95% intervals from the minimum on', () => {
    const report = evaluateClassifier(perfect(MIN_TEST_IMAGES));
    const summary = summariseTestReport(report, []);
    expect(summary.tooFew).toBeNull();
    expect(summary.accuracy).toBe(1);
    expect(summary.intervals.accuracy).toEqual(report.accuracy.ci95);
    expect(summary.intervals.accuracy![0]).toBeLessThan(1);
  });

  it('flags an operating point whose test sensitivity misses its target', () => {
    // Class b: 5 test images with probabilities 0.9, 0.8, 0.6, 0.3, 0.2; threshold 0.5 catches 3 of 5.
    const labels = Int32Array.from([1, 1, 1, 1, 1, 0]);
    const pb = [0.9, 0.8, 0.6, 0.3, 0.2, 0.1];
    const probabilities = Float32Array.from(pb.flatMap((p) => [1 - p, p]));
    const [b, a] = operatingPointOutcomes(labels, probabilities, ['a', 'b'], [
      { class: 'b', threshold: 0.5, targetSensitivity: 0.95 },
      { class: 'a', threshold: 0.5, targetSensitivity: 0.9 },
    ]);
    const interval = wilsonInterval(3, 5);
    expect(b).toEqual({ class: 'b', threshold: 0.5, targetSensitivity: 0.95, sensitivity: 0.6, ci95: [interval.lower, interval.upper], positives: 5, verdict: 'clearly missed' });
    expect(a).toMatchObject({ sensitivity: 1, positives: 1, verdict: 'met' });
    expect(targetVerdict(0.95, 0.792)).toBe('missed');
    expect(targetVerdict(0.95, 0.792, 0.97)).toBe('missed');
    expect(targetVerdict(0.95, 0.792, 0.9)).toBe('clearly missed');
    expect(targetVerdict(0.95, 0.95)).toBe('met');
    expect(targetVerdict(0.95, null)).toBe('unknown');
  });
});
