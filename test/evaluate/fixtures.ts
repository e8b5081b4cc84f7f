import type { ClassifierReport, Estimate } from '../../src/evaluate/index.ts';

export const boot = (value: number | null, lower: number | null, upper: number | null): Estimate => ({ value, ci95: [lower, upper], ciMethod: 'bootstrap' });

/** A hand-written two-class report, so the expected table can be read line by line. */
export const handReport: ClassifierReport = {
  classNames: ['Gram-positive cocci', 'No organisms seen on this slide at all'],
  sampleCount: 200,
  patientCount: 80,
  bootstrap: { iterations: 1000, seed: 7, resampled: 'patients' },
  accuracy: boot(0.931, 0.89, 0.96),
  balancedAccuracy: boot(0.9, 0.85, 0.95),
  macroF1: boot(0.9, 0.85, 0.94),
  macroAuc: boot(0.962, 0.95, 0.971),
  perClass: [
    {
      name: 'Gram-positive cocci',
      support: 120,
      sensitivity: { value: 1, ci95: [0.969, 1], ciMethod: 'wilson' },
      specificity: boot(0.8, 0.7, 0.9),
      ppv: boot(0.882, 0.8, 0.95),
      npv: boot(1, 1, 1),
      f1: boot(0.937, 0.9, 0.97),
      auc: boot(0.962, 0.95, 0.971),
    },
    {
      name: 'No organisms seen on this slide at all',
      support: 80,
      sensitivity: boot(0.8, 0.7, 0.9),
      specificity: { value: 1, ci95: [0.969, 1], ciMethod: 'wilson' },
      ppv: boot(null, null, null),
      npv: boot(0.882, 0.8, 0.95),
      f1: boot(0.889, 0.8, 0.95),
      auc: boot(0.962, 0.95, 0.971),
    },
  ],
  confusionMatrix: [
    [120, 0],
    [16, 64],
  ],
  expectedCalibrationError: 0.032,
  calibrationBins: 15,
  brierScore: 0.112,
};
