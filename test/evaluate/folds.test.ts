import { describe, expect, it } from 'vitest';
import { formatFoldSummary, formatMeanSd, meanSd, summariseFolds, type ClassifierReport } from '../../src/evaluate/index.ts';
import { boot, handReport } from './fixtures.ts';

/** The hand report with a different accuracy, one PPV now defined, and other calibration numbers. */
const secondFold: ClassifierReport = {
  ...handReport,
  accuracy: boot(0.831, 0.79, 0.86),
  perClass: [handReport.perClass[0], { ...handReport.perClass[1], support: 90, ppv: boot(0.5, 0.4, 0.6) }],
  expectedCalibrationError: 0.052,
  brierScore: 0.212,
};

describe('meanSd', () => {
  it('gives the mean and the sample standard deviation', () => {
    const summary = meanSd([0.9, 0.8]);
    expect(summary.mean).toBeCloseTo(0.85, 12);
    expect(summary.sd).toBeCloseTo(Math.SQRT1_2 * 0.1, 12);
    expect(summary.folds).toBe(2);
    expect(meanSd([2, 4, 4, 4, 5, 5, 7, 9]).sd).toBeCloseTo(Math.sqrt(32 / 7), 12);
  });

  it('skips undefined folds and needs two folds for an SD', () => {
    expect(meanSd([null, 0.5, NaN])).toEqual({ mean: 0.5, sd: null, folds: 1 });
    expect(meanSd([null])).toEqual({ mean: null, sd: null, folds: 0 });
  });
});

describe('summariseFolds', () => {
  const summary = summariseFolds([handReport, secondFold]);

  it('summarises every scalar metric across folds', () => {
    expect(summary.foldCount).toBe(2);
    expect(summary.classNames).toEqual(handReport.classNames);
    expect(summary.accuracy.mean).toBeCloseTo(0.881, 12);
    expect(summary.accuracy.sd).toBeCloseTo(Math.SQRT1_2 * 0.1, 12);
    expect(summary.macroAuc).toEqual({ mean: 0.962, sd: 0, folds: 2 });
    expect(summary.expectedCalibrationError.mean).toBeCloseTo(0.042, 12);
    expect(summary.brierScore.mean).toBeCloseTo(0.162, 12);
    expect(summary.perClass[1].support).toMatchObject({ mean: 85, folds: 2 });
    expect(summary.perClass[1].ppv).toEqual({ mean: 0.5, sd: null, folds: 1 });
    expect(summary.perClass[0].sensitivity).toEqual({ mean: 1, sd: 0, folds: 2 });
  });

  it('formats mean ± SD', () => {
    expect(formatMeanSd(summary.accuracy, 'percent')).toBe('88.1 ± 7.1%');
    expect(formatMeanSd(summary.macroAuc, 'decimal')).toBe('0.962 ± 0.000');
    expect(formatMeanSd(summary.perClass[1].ppv, 'percent')).toBe('50.0% (1 fold)');
    expect(formatMeanSd({ mean: null, sd: null, folds: 0 }, 'percent')).toBe('—');
    const table = formatFoldSummary(summary).split('\n');
    expect(table[0]).toBe('Cross-validation: mean ± SD over 2 folds');
    expect(table).toContain('Accuracy                 88.1 ± 7.1%');
  });

  it('rejects no folds and folds with different classes', () => {
    expect(() => summariseFolds([])).toThrow('summariseFolds: empty input');
    expect(() => summariseFolds([handReport, { ...secondFold, classNames: ['a', 'b'] }])).toThrow('summariseFolds: fold 1 has classes [a, b]');
  });
});
