/** A model's test figures in brief, as its bundle records them and the app shows them. */
import type { OperatingPointOutcome, TargetVerdict, TestSummary } from '../contract/index.ts';
import { toLabelledProbabilities, type Labels, type ScoreMatrix } from './inputs.ts';
import { wilsonInterval } from './intervals.ts';
import { OVERALL_METRICS, type ClassifierReport } from './report.ts';

/**
 * Fewer test images than this give no figure: with 29 or fewer, a 95% interval of an accuracy
 * spans more than a third of the scale, and one image moves it by over 3 points.
 */
export const MIN_TEST_IMAGES = 30;

/**
 * Whether an operating point reached its target sensitivity on the test set: missed when the
 * measured sensitivity is below the target (e.g. 79.2% for a 95% target), clearly missed when the
 * upper end of its 95% interval is below it too, unknown when the test set has no image of the
 * class. The one rule for every place that shows operating points.
 */
export function targetVerdict(targetSensitivity: number, sensitivity: number | null, upper: number | null = null): TargetVerdict {
  if (sensitivity === null) return 'unknown';
  if (sensitivity >= targetSensitivity) return 'met';
  return upper !== null && upper < targetSensitivity ? 'clearly missed' : 'missed';
}

/** Sensitivity on the test set of each class's operating point (called positive at probability ≥ threshold). */
export function operatingPointOutcomes(
  labels: Labels,
  probabilities: ScoreMatrix,
  classNames: readonly string[],
  choices: readonly { class: string; threshold: number; targetSensitivity: number }[],
): OperatingPointOutcome[] {
  const matrix = toLabelledProbabilities(labels, probabilities, classNames.length);
  const k = classNames.length;
  return choices.map((choice) => {
    const c = classNames.indexOf(choice.class);
    if (c < 0) throw new Error(`operating point: unknown class "${choice.class}"`);
    let positives = 0;
    let caught = 0;
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] !== c) continue;
      positives++;
      if (matrix.data[i * k + c] >= choice.threshold) caught++;
    }
    const sensitivity = positives === 0 ? null : caught / positives;
    const interval = positives === 0 ? null : wilsonInterval(caught, positives);
    return {
      class: choice.class,
      threshold: choice.threshold,
      targetSensitivity: choice.targetSensitivity,
      sensitivity,
      ci95: interval ? [interval.lower, interval.upper] : null,
      positives,
      verdict: targetVerdict(choice.targetSensitivity, sensitivity, interval?.upper ?? null),
    };
  });
}

/** The report in brief: figures with their intervals, none below MIN_TEST_IMAGES (tooFew says so). */
export function summariseTestReport(report: ClassifierReport, operatingPoints: OperatingPointOutcome[]): TestSummary {
  const images = report.sampleCount;
  const patients = report.patientCount;
  if (images < MIN_TEST_IMAGES) {
    const from = patients === null ? '' : ` of ${patients} ${patients === 1 ? 'patient' : 'patients'}`;
    return {
      images,
      patients,
      tooFew: `only ${images} test ${images === 1 ? 'image' : 'images'}${from}: at least ${MIN_TEST_IMAGES} are needed for a figure`,
      ...(Object.fromEntries(OVERALL_METRICS.map((name) => [name, null])) as Record<(typeof OVERALL_METRICS)[number], null>),
      expectedCalibrationError: null,
      brierScore: null,
      intervals: {},
      operatingPoints,
    };
  }
  return {
    images,
    patients,
    tooFew: null,
    ...(Object.fromEntries(OVERALL_METRICS.map((name) => [name, report[name].value])) as Record<(typeof OVERALL_METRICS)[number], number | null>),
    expectedCalibrationError: report.expectedCalibrationError,
    brierScore: report.brierScore,
    intervals: Object.fromEntries(OVERALL_METRICS.map((name) => [name, report[name].ci95])),
    operatingPoints,
  };
}
