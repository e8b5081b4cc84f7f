import { describe, expect, it } from 'vitest';
import { formatEstimate, formatPercent, formatReportTable, type ClassifierReport } from '../../src/evaluate/index.ts';
import { boot, handReport } from './fixtures.ts';

describe('formatting', () => {
  it('prints percentages and estimates the way clinical papers do', () => {
    expect(formatPercent(0.9312)).toBe('93.1%');
    expect(formatPercent(null)).toBe('—');
    expect(formatPercent(NaN)).toBe('—');
    expect(formatEstimate(boot(0.931, 0.89, 0.96), 'percent')).toBe('93.1% (89.0–96.0)');
    expect(formatEstimate(boot(0.931, 0.89, 0.96), 'percent', 6)).toBe(' 93.1% (89.0–96.0)');
    expect(formatEstimate(boot(0.9617, 0.95, 0.9712), 'decimal')).toBe('0.962 (0.950–0.971)');
    expect(formatEstimate({ value: 1, ci95: [0.8389, 1], ciMethod: 'wilson' }, 'percent')).toBe('100.0% (83.9–100.0)*');
    expect(formatEstimate(boot(0.5, null, null), 'percent')).toBe('50.0% (—)');
    expect(formatEstimate(boot(null, null, null), 'percent')).toBe('—');
  });

  it('renders the report as fixed-width tables', () => {
    expect(formatReportTable(handReport)).toBe(
      [
        'Classifier evaluation: 200 samples from 80 patients, 2 classes',
        '95% confidence intervals: percentile bootstrap, 1000 resamples of patients (seed 7)',
        '* Wilson score interval, used where the bootstrap interval is degenerate (e.g. at 0% or 100%)',
        '',
        'Overall',
        'Accuracy                           93.1% (89.0–96.0)',
        'Balanced accuracy                  90.0% (85.0–95.0)',
        'Macro F1                           0.900 (0.850–0.940)',
        'Macro AUC (one-vs-rest)            0.962 (0.950–0.971)',
        'Calibration error (ECE, 15 bins)    3.2%',
        'Brier score (0 best, 2 worst)      0.112',
        '',
        'Class                               n  Sensitivity           Specificity           PPV                 NPV',
        'Gram-positive cocci               120  100.0% (96.9–100.0)*   80.0% (70.0–90.0)     88.2% (80.0–95.0)  100.0% (100.0–100.0)',
        'No organisms seen on this slide…   80   80.0% (70.0–90.0)    100.0% (96.9–100.0)*       —               88.2% (80.0–95.0)',
        '',
        'Class                               n  F1                   AUC (one-vs-rest)',
        'Gram-positive cocci               120  0.937 (0.900–0.970)  0.962 (0.950–0.971)',
        'No organisms seen on this slide…   80  0.889 (0.800–0.950)  0.962 (0.950–0.971)',
        '',
        'Confusion matrix (rows: true class, columns: predicted class)',
        '                                      1   2',
        '1 Gram-positive cocci               120   0',
        '2 No organisms seen on this slide…   16  64',
      ].join('\n'),
    );
  });

  it('leaves out the Wilson note when no interval uses it and says when samples, not patients, were resampled', () => {
    const plain: ClassifierReport = {
      ...handReport,
      patientCount: null,
      bootstrap: { iterations: 500, seed: 1, resampled: 'samples' },
      perClass: handReport.perClass.map((c) => ({ ...c, sensitivity: boot(0.9, 0.8, 0.95), specificity: boot(0.9, 0.8, 0.95) })),
    };
    const lines = formatReportTable(plain).split('\n');
    expect(lines[0]).toBe('Classifier evaluation: 200 samples, 2 classes');
    expect(lines[1]).toBe('95% confidence intervals: percentile bootstrap, 500 resamples of samples (seed 1)');
    expect(lines[2]).toBe('');
  });
});
