/**
 * Confusion matrix and the one-vs-rest metrics derived from it.
 *
 * Convention: a metric whose denominator is zero (0/0, e.g. the sensitivity of a class with no
 * samples, or the PPV of a class never predicted) is NaN, never 0 or 1. Reports print it as "—"
 * and JSON carries it as null. Averages over classes (balanced accuracy, macro F1) skip NaN classes.
 */
import { checkClassCount, checkLabels, checkNonEmpty, checkSameLength, type Labels } from './inputs.ts';

/** k × k counts: row = true class, column = predicted class (scikit-learn's layout). */
export type ConfusionMatrix = number[][];

export interface BinaryCounts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export interface BinaryMetrics {
  /** Recall, true-positive rate: tp / (tp + fn). */
  sensitivity: number;
  /** True-negative rate: tn / (tn + fp). */
  specificity: number;
  /** Positive predictive value, precision: tp / (tp + fp). */
  ppv: number;
  /** Negative predictive value: tn / (tn + fn). */
  npv: number;
  /** Harmonic mean of PPV and sensitivity: 2tp / (2tp + fp + fn). */
  f1: number;
}

export interface ClassMetrics extends BinaryMetrics, BinaryCounts {
  /** Number of samples whose true class is this one (tp + fn). */
  support: number;
}

/** a / b, with 0/0 (and anything over 0) defined as NaN. */
export function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? Number.NaN : numerator / denominator;
}

/**
 * Counts samples by (true, predicted) class. Optional non-negative `weights` count sample i that
 * many times (a bootstrap resample is expressed this way).
 */
export function confusionMatrix(labels: Labels, predicted: Labels, k: number, weights?: ArrayLike<number>): ConfusionMatrix {
  checkClassCount(k);
  checkNonEmpty('labels', labels);
  checkSameLength('labels vs predicted', labels, predicted);
  checkLabels(labels, k);
  checkLabels(predicted, k, 'predicted');
  if (weights) {
    checkSameLength('labels vs weights', labels, weights);
    for (let i = 0; i < weights.length; i++) {
      if (!(weights[i] >= 0)) throw new Error(`weights: value ${weights[i]} at index ${i} is not a non-negative number`);
    }
  }
  const cm = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  accumulateConfusion(cm, labels, predicted, weights);
  return cm;
}

/** Adds (weighted) counts into an existing matrix without checks: the allocation-free inner loop of the bootstrap. */
export function accumulateConfusion(cm: ConfusionMatrix, labels: ArrayLike<number>, predicted: ArrayLike<number>, weights?: ArrayLike<number>): void {
  for (let i = 0; i < labels.length; i++) cm[labels[i]][predicted[i]] += weights ? weights[i] : 1;
}

export function binaryMetrics({ tp, fp, fn, tn }: BinaryCounts): BinaryMetrics {
  return {
    sensitivity: ratio(tp, tp + fn),
    specificity: ratio(tn, tn + fp),
    ppv: ratio(tp, tp + fp),
    npv: ratio(tn, tn + fn),
    f1: ratio(2 * tp, 2 * tp + fp + fn),
  };
}

/** One-vs-rest counts of class c. */
export function oneVsRestCounts(cm: ConfusionMatrix, c: number): BinaryCounts {
  let rowSum = 0;
  let columnSum = 0;
  let total = 0;
  for (let i = 0; i < cm.length; i++) {
    rowSum += cm[c][i];
    columnSum += cm[i][c];
    for (let j = 0; j < cm.length; j++) total += cm[i][j];
  }
  const tp = cm[c][c];
  const fn = rowSum - tp;
  const fp = columnSum - tp;
  return { tp, fp, fn, tn: total - tp - fn - fp };
}

/** Sensitivity, specificity, PPV, NPV, F1 and support of each class, one-vs-rest. */
export function perClassMetrics(cm: ConfusionMatrix): ClassMetrics[] {
  checkSquare(cm);
  return cm.map((_, c) => {
    const counts = oneVsRestCounts(cm, c);
    return { ...binaryMetrics(counts), ...counts, support: counts.tp + counts.fn };
  });
}

export function accuracy(cm: ConfusionMatrix): number {
  checkSquare(cm);
  let correct = 0;
  let total = 0;
  for (let i = 0; i < cm.length; i++) {
    correct += cm[i][i];
    for (let j = 0; j < cm.length; j++) total += cm[i][j];
  }
  return ratio(correct, total);
}

/** Mean sensitivity over the classes that have samples (classes absent from the labels are skipped, as in scikit-learn). */
export function balancedAccuracy(cm: ConfusionMatrix): number {
  return meanDefined(perClassMetrics(cm).map((m) => m.sensitivity));
}

/**
 * Mean F1 over classes. A class that is neither present nor predicted has F1 = 0/0 and is skipped
 * (scikit-learn likewise averages only over labels seen in either y_true or y_pred).
 */
export function macroF1(cm: ConfusionMatrix): number {
  return meanDefined(perClassMetrics(cm).map((m) => m.f1));
}

/** Mean of the non-NaN values; NaN when there are none. */
export function meanDefined(values: ArrayLike<number>): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isNaN(values[i])) {
      sum += values[i];
      count++;
    }
  }
  return ratio(sum, count);
}

function checkSquare(cm: ConfusionMatrix): void {
  if (cm.length === 0) throw new Error('confusion matrix: empty input');
  for (const row of cm) {
    if (row.length !== cm.length) throw new Error(`confusion matrix: must be square, got a row of ${row.length} in a ${cm.length}-row matrix`);
  }
}
