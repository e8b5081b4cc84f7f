/**
 * The evaluation report of a classifier on a labelled test set, with 95% confidence intervals on
 * every metric, in a JSON-serialisable form and as a table for clinicians.
 */
import { brierScore, DEFAULT_CALIBRATION_BINS, expectedCalibrationError } from './calibration.ts';
import { accumulateConfusion, accuracy, balancedAccuracy, confusionMatrix, macroF1, meanDefined, perClassMetrics, ratio, type ClassMetrics } from './confusion.ts';
import { argmaxRows, checkSameLength, matrixColumn, toLabelledProbabilities, type Labels, type Matrix, type ScoreMatrix } from './inputs.ts';
import { bootstrapCis, DEFAULT_BOOTSTRAP_ITERATIONS, wilsonInterval, type BootstrapInterval, type ResampleStatistics } from './intervals.ts';
import { rocAucOvr, sortedIndices, weightedAuc } from './roc.ts';

export interface EvaluateOptions {
  labels: Labels;
  /** n × k row-major, or one row per sample; k = classNames.length. */
  probabilities: ScoreMatrix;
  classNames: readonly string[];
  /** Patient id per sample: the bootstrap then resamples patients, not images. */
  groups?: ArrayLike<string | number>;
  seed: number;
  /** 1000 by default. */
  bootstrapIterations?: number;
  /** Confidence bins of the ECE; 15 by default. */
  calibrationBins?: number;
}

/**
 * - bootstrap: percentile interval over resamples.
 * - wilson: Wilson score interval on the full-data counts, used for a proportion whose bootstrap
 *   interval is degenerate (zero width, as at 0% or 100%, or fewer than half the replicates defined).
 *   It treats images as independent even when groups were given, so it can be too narrow there.
 */
export type CiMethod = 'bootstrap' | 'wilson';

export interface Estimate {
  /** On all samples; null when undefined (0/0, e.g. PPV of a class never predicted). */
  value: number | null;
  /** 95% interval [lower, upper]; null ends when it cannot be computed. */
  ci95: [number | null, number | null];
  ciMethod: CiMethod;
}

const CONFUSION_METRICS = ['sensitivity', 'specificity', 'ppv', 'npv', 'f1'] as const;
export const PER_CLASS_METRICS = [...CONFUSION_METRICS, 'auc'] as const;
export type PerClassMetricName = (typeof PER_CLASS_METRICS)[number];

export type ClassReport = { name: string; support: number } & Record<PerClassMetricName, Estimate>;

export const OVERALL_METRICS = ['accuracy', 'balancedAccuracy', 'macroF1', 'macroAuc'] as const;
export type OverallMetricName = (typeof OVERALL_METRICS)[number];

export type ClassifierReport = {
  classNames: string[];
  sampleCount: number;
  /** Distinct patients when groups were given, else null. */
  patientCount: number | null;
  bootstrap: { iterations: number; seed: number; resampled: 'samples' | 'patients' };
  perClass: ClassReport[];
  /** Row = true class, column = predicted (argmax) class. */
  confusionMatrix: number[][];
  /** Top-label ECE (point estimate). */
  expectedCalibrationError: number;
  calibrationBins: number;
  /** Multi-class Brier score in [0, 2] (point estimate). */
  brierScore: number;
} & Record<OverallMetricName, Estimate>;

const CI_ALPHA = 0.05;

/** Counts behind each proportion, for the Wilson fallback. */
function proportionCounts(metrics: ClassMetrics): Partial<Record<PerClassMetricName, [number, number]>> {
  const { tp, fp, fn, tn } = metrics;
  return { sensitivity: [tp, tp + fn], specificity: [tn, tn + fp], ppv: [tp, tp + fp], npv: [tn, tn + fn] };
}

/**
 * Every headline metric of a classifier on a labelled test set: point estimates on all samples
 * (predicted class = argmax) with 95% intervals from one shared set of bootstrap replicates.
 */
export function evaluateClassifier(options: EvaluateOptions): ClassifierReport {
  const { labels, classNames, groups, seed } = options;
  const k = classNames.length;
  const iterations = options.bootstrapIterations ?? DEFAULT_BOOTSTRAP_ITERATIONS;
  const calibrationBins = options.calibrationBins ?? DEFAULT_CALIBRATION_BINS;
  const matrix = toLabelledProbabilities(labels, options.probabilities, k);
  if (groups) checkSameLength('labels vs groups', labels, groups);
  const n = labels.length;
  const predicted = argmaxRows(matrix);

  const cm = confusionMatrix(labels, predicted, k);
  const metrics = perClassMetrics(cm);
  const auc = rocAucOvr(labels, matrix.data, k);
  const correct = metrics.reduce((sum, m) => sum + m.tp, 0);
  const overallValues: Record<OverallMetricName, number> = {
    accuracy: accuracy(cm),
    balancedAccuracy: balancedAccuracy(cm),
    macroF1: macroF1(cm),
    macroAuc: auc.macro,
  };

  const intervals = bootstrapCis(createReplicateStatistics(labels, predicted, matrix), OVERALL_METRICS.length + k * PER_CLASS_METRICS.length, {
    n,
    groups,
    iterations,
    seed,
    alpha: CI_ALPHA,
  });
  const perClassInterval = (c: number, metric: number) => intervals[OVERALL_METRICS.length + c * PER_CLASS_METRICS.length + metric];

  const overall = Object.fromEntries(
    OVERALL_METRICS.map((name, s) => [name, estimate(overallValues[name], intervals[s], name === 'accuracy' ? [correct, n] : undefined, iterations)]),
  ) as Record<OverallMetricName, Estimate>;

  const perClass = metrics.map((m, c): ClassReport => {
    const values: Record<PerClassMetricName, number> = { ...m, auc: auc.perClass[c] };
    const counts = proportionCounts(m);
    const estimates = Object.fromEntries(
      PER_CLASS_METRICS.map((name, metric) => [name, estimate(values[name], perClassInterval(c, metric), counts[name], iterations)]),
    ) as Record<PerClassMetricName, Estimate>;
    return { name: classNames[c], support: m.support, ...estimates };
  });

  return {
    classNames: [...classNames],
    sampleCount: n,
    patientCount: groups ? new Set(Array.from(groups)).size : null,
    bootstrap: { iterations, seed, resampled: groups ? 'patients' : 'samples' },
    ...overall,
    perClass,
    confusionMatrix: cm,
    expectedCalibrationError: expectedCalibrationError(labels, matrix.data, { bins: calibrationBins }),
    calibrationBins,
    brierScore: brierScore(labels, matrix.data),
  };
}

/**
 * All bootstrapped statistics of one resample, in the order OVERALL_METRICS then, per class,
 * PER_CLASS_METRICS. O(n·k) per replicate: the confusion matrix is reused and each class's scores
 * are sorted once, up front.
 */
function createReplicateStatistics(labels: Labels, predicted: Int32Array, probabilities: Matrix): ResampleStatistics {
  const k = probabilities.columns;
  const cm = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const columns = Array.from({ length: k }, (_, c) => matrixColumn(probabilities, c));
  const orders = columns.map((column) => sortedIndices(column));
  const aucs = new Float64Array(k);
  return (weights: Int32Array, out: Float64Array) => {
    for (const row of cm) row.fill(0);
    accumulateConfusion(cm, labels, predicted, weights);
    const metrics = perClassMetrics(cm);
    let total = 0;
    let correct = 0;
    for (let c = 0; c < k; c++) {
      total += metrics[c].support;
      correct += metrics[c].tp;
      aucs[c] = weightedAuc(orders[c], columns[c], labels, c, weights);
      const base = OVERALL_METRICS.length + c * PER_CLASS_METRICS.length;
      CONFUSION_METRICS.forEach((name, j) => {
        out[base + j] = metrics[c][name];
      });
      out[base + CONFUSION_METRICS.length] = aucs[c];
    }
    out[0] = ratio(correct, total);
    out[1] = meanDefined(metrics.map((m) => m.sensitivity));
    out[2] = meanDefined(metrics.map((m) => m.f1));
    out[3] = meanDefined(aucs);
  };
}

function estimate(value: number, interval: BootstrapInterval, proportion: [number, number] | undefined, iterations: number): Estimate {
  const degenerate = interval.validReplicates < iterations / 2 || interval.lower === interval.upper;
  if (proportion && degenerate) {
    const wilson = wilsonInterval(proportion[0], proportion[1], CI_ALPHA);
    return { value: orNull(value), ci95: [orNull(wilson.lower), orNull(wilson.upper)], ciMethod: 'wilson' };
  }
  return { value: orNull(value), ci95: [orNull(interval.lower), orNull(interval.upper)], ciMethod: 'bootstrap' };
}

function orNull(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}
