import { kFoldByPatient } from '../data/index.ts';
import {
  applyTemperature,
  brierScore,
  calibratedEceDraws,
  expectedCalibrationError,
  fitTemperature,
  selectConfidenceForAccuracy,
  thresholdForSensitivity,
} from '../evaluate/index.ts';
import type { CalibrationValues } from '../models/index.ts';
import type { OperatingPointChoice } from '../report/index.ts';

export interface CalibrationTargets {
  /** Sensitivity each class's one-vs-rest operating point must reach (default 0.95). */
  targetSensitivity?: number;
  /** Accuracy the predictions kept above the referral level must reach (default 0.95). */
  referralTargetAccuracy?: number;
}

export interface CalibrationChoice extends CalibrationValues {
  operatingPoints: OperatingPointChoice[];
  /** softmax(logits / temperature) of the images it was chosen on. */
  probabilities: Float32Array;
  /** Share of those images below the referral level (none when no level reaches the target). */
  referralRate?: number;
}

/**
 * What a labelled calibration set (the validation split, or a site's own images) decides for a
 * bundle: the temperature, the "uncertain: refer" level and per-class operating points.
 * `logits` may be log-probabilities: softmax is blind to a constant per row.
 */
export function chooseCalibration(logits: Float32Array, labels: Int32Array, classes: string[], targets: CalibrationTargets = {}): CalibrationChoice {
  const k = classes.length;
  const temperature = fitTemperature(logits, labels);
  const probabilities = applyTemperature(logits, temperature, k);
  const referral = selectConfidenceForAccuracy(labels, probabilities, k, targets.referralTargetAccuracy ?? 0.95);
  const operatingPoints = chooseOperatingPoints(labels, probabilities, classes, targets.targetSensitivity ?? 0.95);
  return { temperature, referBelow: referral?.confidenceLevel, referralRate: referral?.referralRate, operatingPoints, probabilities };
}

/** One-vs-rest thresholds reaching the target sensitivity, for classes with positives and negatives in the set. */
function chooseOperatingPoints(labels: Int32Array, probabilities: Float32Array, classes: string[], targetSensitivity: number): OperatingPointChoice[] {
  const k = classes.length;
  return classes.flatMap((name, c) => {
    const binary = Int32Array.from(labels, (label) => (label === c ? 1 : 0));
    if (!binary.includes(1) || !binary.includes(0)) return [];
    const scores = Float32Array.from({ length: labels.length }, (_, i) => probabilities[i * k + c]);
    return [{ class: name, threshold: thresholdForSensitivity(binary, scores, targetSensitivity).threshold, targetSensitivity }];
  });
}

/** log p as logits for a recalibration, with zeros (an underflowed float32 softmax) floored so that every value stays finite. */
export function logitsOfProbabilities(probabilities: Float32Array): Float32Array {
  return Float32Array.from(probabilities, (p) => Math.log(Math.max(p, 1e-30)));
}

/** Calibration quality of one set of probabilities. */
export interface CalibrationMeasure {
  ece: number;
  brier: number;
  meanConfidence: number;
}

export interface SiteRecalibration {
  /** Chosen on every site image: what `gramlens calibrate` writes into the bundle. */
  choice: CalibrationChoice;
  images: number;
  patients: number;
  folds: number;
  /** Accuracy of the top class (a temperature does not change it). */
  accuracy: number;
  /** The bundle's present calibration on the site images. */
  current: CalibrationMeasure & { temperature: number };
  /** Cross-fitted: each image scored with a temperature fitted without its patient. */
  recalibrated: CalibrationMeasure;
  /** Mean ECE a perfectly calibrated model would measure on this many images: the ECE's sampling noise. */
  eceFloor: number;
}

export interface SiteRecalibrationInput extends CalibrationTargets {
  /** Logits or log-probabilities of the uncalibrated model, n × classes. */
  logits: Float32Array;
  labels: Int32Array;
  /** Patient (or specimen) of each image: folds never split one. */
  groups: readonly string[];
  classes: string[];
  /** The bundle's temperature now. */
  currentTemperature: number;
  /** Folds of the cross-fitted estimate (default 5; fewer when there are fewer patients). */
  folds?: number;
  seed?: number;
}

/**
 * Recalibrates a bundle on labelled images from the place it is used (another hospital, phone or
 * microscope), where the validation split's calibration may no longer hold, and measures what that
 * buys without fooling itself: the recalibrated ECE is cross-fitted over patient-grouped folds, so
 * no image is scored by a temperature fitted on its own patient.
 */
export function recalibrateOnSite(input: SiteRecalibrationInput): SiteRecalibration {
  const { logits, labels, groups, classes } = input;
  const k = classes.length;
  const n = labels.length;
  if (logits.length !== n * k) throw new Error(`expected ${n} × ${k} logits, got ${logits.length} values`);
  if (groups.length !== n) throw new Error(`expected a patient for each of the ${n} images, got ${groups.length}`);
  if (new Set(labels).size < 2) throw new Error('a calibration set needs images of at least two classes');
  const patients = new Set(groups).size;
  if (patients < 2) throw new Error('a calibration set needs images of at least two patients (the estimate holds out patients)');
  const seed = input.seed ?? 1;
  const folds = Math.min(input.folds ?? 5, patients);

  const crossFitted = new Float32Array(n * k);
  const rows = Array.from({ length: n }, (_, index) => ({ index, label: labels[index], patientId: groups[index] }));
  for (const fold of kFoldByPatient(rows, folds, seed)) {
    const fitRows = fold.train.map((row) => row.index);
    const temperature = fitTemperature(pickRows(logits, fitRows, k), Int32Array.from(fitRows, (i) => labels[i]));
    const heldOut = fold.val.map((row) => row.index);
    const probabilities = applyTemperature(pickRows(logits, heldOut, k), temperature, k);
    heldOut.forEach((row, i) => crossFitted.set(probabilities.subarray(i * k, (i + 1) * k), row * k));
  }
  const currentProbabilities = applyTemperature(logits, input.currentTemperature, k);
  const draws = calibratedEceDraws(crossFitted, k, { seed, draws: 500 });
  return {
    choice: chooseCalibration(logits, labels, classes, input),
    images: n,
    patients,
    folds,
    accuracy: topAccuracy(labels, currentProbabilities, k),
    current: { temperature: input.currentTemperature, ...measure(labels, currentProbabilities, k) },
    recalibrated: measure(labels, crossFitted, k),
    eceFloor: draws.reduce((sum, ece) => sum + ece, 0) / draws.length,
  };
}

function measure(labels: Int32Array, probabilities: Float32Array, k: number): CalibrationMeasure {
  let confidence = 0;
  for (let i = 0; i < labels.length; i++) confidence += Math.max(...probabilities.subarray(i * k, (i + 1) * k));
  return { ece: expectedCalibrationError(labels, probabilities), brier: brierScore(labels, probabilities), meanConfidence: confidence / labels.length };
}

function topAccuracy(labels: Int32Array, probabilities: Float32Array, k: number): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = probabilities.subarray(i * k, (i + 1) * k);
    if (row.indexOf(Math.max(...row)) === labels[i]) correct++;
  }
  return correct / labels.length;
}

function pickRows(matrix: Float32Array, rows: readonly number[], k: number): Float32Array {
  const out = new Float32Array(rows.length * k);
  rows.forEach((row, i) => out.set(matrix.subarray(row * k, (row + 1) * k), i * k));
  return out;
}
