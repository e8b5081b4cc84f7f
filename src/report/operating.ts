/**
 * Test-set performance at per-class thresholds chosen on validation data, with the same 95%
 * intervals as the rest of the report: bootstrap over samples (or patients), Wilson when the
 * bootstrap interval is degenerate.
 */
import { binaryMetrics, bootstrapCis, type BinaryCounts, type Estimate, type Labels } from '../evaluate/index.ts';
import { bootstrapOrWilson } from './estimate.ts';
import type { OperatingPointChoice, OperatingPointResult } from './types.ts';

const METRICS = ['sensitivity', 'specificity', 'ppv', 'npv'] as const;

export interface OperatingPointOptions {
  labels: Labels;
  /** n × k row-major. */
  probabilities: Float32Array;
  classNames: readonly string[];
  groups?: ArrayLike<string | number>;
  seed: number;
  iterations: number;
}

/** Sensitivity, specificity, PPV and NPV of "class vs rest" when called positive at score >= threshold. */
export function evaluateOperatingPoint(choice: OperatingPointChoice, options: OperatingPointOptions): OperatingPointResult {
  const { labels, probabilities, classNames, groups, seed, iterations } = options;
  const classIndex = classNames.indexOf(choice.class);
  if (classIndex < 0) throw new Error(`operating point: unknown class "${choice.class}"`);
  if (!Number.isFinite(choice.threshold)) throw new Error(`operating point for "${choice.class}": threshold ${choice.threshold} is not finite`);
  const k = classNames.length;
  const positive = Uint8Array.from(labels, (label) => (label === classIndex ? 1 : 0));
  const calledPositive = Uint8Array.from(labels, (_, i) => (probabilities[i * k + classIndex] >= choice.threshold ? 1 : 0));
  const countsFor = (weights?: ArrayLike<number>) => binaryCounts(positive, calledPositive, weights);

  const counts = countsFor();
  const metrics = binaryMetrics(counts);
  const intervals = bootstrapCis(
    (weights, out) => {
      const replicate = binaryMetrics(countsFor(weights));
      METRICS.forEach((name, j) => {
        out[j] = replicate[name];
      });
    },
    METRICS.length,
    { n: labels.length, groups, seed, iterations },
  );
  const proportions: Record<(typeof METRICS)[number], [number, number]> = {
    sensitivity: [counts.tp, counts.tp + counts.fn],
    specificity: [counts.tn, counts.tn + counts.fp],
    ppv: [counts.tp, counts.tp + counts.fp],
    npv: [counts.tn, counts.tn + counts.fn],
  };
  const estimates = Object.fromEntries(METRICS.map((name, j) => [name, bootstrapOrWilson(metrics[name], intervals[j], proportions[name], iterations)])) as Record<
    (typeof METRICS)[number],
    Estimate
  >;
  return { ...choice, classIndex, counts, ...estimates };
}

function binaryCounts(positive: Uint8Array, calledPositive: Uint8Array, weights?: ArrayLike<number>): BinaryCounts {
  const counts = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (let i = 0; i < positive.length; i++) {
    const weight = weights ? weights[i] : 1;
    if (positive[i]) {
      if (calledPositive[i]) counts.tp += weight;
      else counts.fn += weight;
    } else if (calledPositive[i]) counts.fp += weight;
    else counts.tn += weight;
  }
  return counts;
}
