/**
 * Confidence intervals: the percentile bootstrap (resampling samples, or whole patients when
 * patient ids are given) and the Wilson score interval for a proportion.
 */
import { createRng } from '../util/index.ts';

export interface Interval {
  lower: number;
  upper: number;
}

export interface BootstrapInterval extends Interval {
  /** Replicates whose statistic was defined (not NaN); the interval uses only these. */
  validReplicates: number;
}

export interface BootstrapOptions {
  /** Number of samples. */
  n: number;
  /**
   * Patient (or other cluster) id of each sample. When given, each replicate draws whole patients
   * with replacement (cluster bootstrap), because images of one patient are not independent.
   */
  groups?: ArrayLike<string | number>;
  /** Number of replicates; 1000 by default. */
  iterations?: number;
  seed: number;
  /** 1 − confidence level; 0.05 (a 95% interval) by default. */
  alpha?: number;
}

/**
 * A statistic of one resample. weights[i] is how many times sample i was drawn (0, 1, 2, ...);
 * the array is reused between replicates, so read it, don't keep it.
 */
export type ResampleStatistic = (weights: Int32Array) => number;

/** Several statistics of one resample at once, written into `out` (reused between replicates). */
export type ResampleStatistics = (weights: Int32Array, out: Float64Array) => void;

export const DEFAULT_BOOTSTRAP_ITERATIONS = 1000;

/** Percentile bootstrap interval of one statistic. */
export function bootstrapCi(statistic: ResampleStatistic, options: BootstrapOptions): BootstrapInterval {
  return bootstrapCis((weights, out) => {
    out[0] = statistic(weights);
  }, 1, options)[0];
}

/**
 * Percentile bootstrap intervals of several statistics from the same replicates (cheaper and
 * mutually consistent). Replicates where a statistic is NaN (e.g. no positives of a class were
 * drawn) are left out of that statistic's interval; with none left the interval is NaN.
 */
export function bootstrapCis(statistics: ResampleStatistics, statisticCount: number, options: BootstrapOptions): BootstrapInterval[] {
  const iterations = options.iterations ?? DEFAULT_BOOTSTRAP_ITERATIONS;
  const alpha = options.alpha ?? 0.05;
  if (!Number.isInteger(statisticCount) || statisticCount < 1) throw new Error(`statistic count must be a positive integer, got ${statisticCount}`);
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`iterations must be a positive integer, got ${iterations}`);
  checkAlpha(alpha);
  const resample = createResampler(options);
  const weights = new Int32Array(options.n);
  const out = new Float64Array(statisticCount);
  const replicates = new Float64Array(iterations * statisticCount);
  for (let r = 0; r < iterations; r++) {
    resample(weights);
    out.fill(Number.NaN);
    statistics(weights, out);
    replicates.set(out, r * statisticCount);
  }
  const column = new Float64Array(iterations);
  return Array.from({ length: statisticCount }, (_, s) => {
    let valid = 0;
    for (let r = 0; r < iterations; r++) {
      const value = replicates[r * statisticCount + s];
      if (!Number.isNaN(value)) column[valid++] = value;
    }
    const sorted = column.subarray(0, valid).sort();
    return { lower: quantileOfSorted(sorted, alpha / 2), upper: quantileOfSorted(sorted, 1 - alpha / 2), validReplicates: valid };
  });
}

/** Returns a function that fills `weights` with one bootstrap resample's draw counts. */
function createResampler(options: BootstrapOptions): (weights: Int32Array) => void {
  const { n, groups } = options;
  if (!Number.isInteger(n) || n < 1) throw new Error(`bootstrap: n must be a positive integer, got ${n}`);
  const rng = createRng(options.seed);
  if (!groups) {
    return (weights) => {
      weights.fill(0);
      for (let draw = 0; draw < n; draw++) weights[rng.int(n)]++;
    };
  }
  if (groups.length !== n) throw new Error(`bootstrap: ${groups.length} group ids for ${n} samples`);
  const groupIndex = new Map<string | number, number>();
  const groupOfSample = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let index = groupIndex.get(groups[i]);
    if (index === undefined) {
      index = groupIndex.size;
      groupIndex.set(groups[i], index);
    }
    groupOfSample[i] = index;
  }
  const groupCount = groupIndex.size;
  const groupDraws = new Int32Array(groupCount);
  return (weights) => {
    groupDraws.fill(0);
    for (let draw = 0; draw < groupCount; draw++) groupDraws[rng.int(groupCount)]++;
    for (let i = 0; i < n; i++) weights[i] = groupDraws[groupOfSample[i]];
  };
}

/** Sample indices repeated by their weights, for statistics easier to write on an index list. */
export function expandWeights(weights: ArrayLike<number>): Int32Array {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i];
  const indices = new Int32Array(total);
  let position = 0;
  for (let i = 0; i < weights.length; i++) for (let w = 0; w < weights[i]; w++) indices[position++] = i;
  return indices;
}

/** Quantile q of ascending values with linear interpolation (numpy's default); NaN when empty. */
export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
}

/**
 * Wilson score interval for successes out of n (Wilson 1927; statsmodels' proportion_confint
 * method="wilson"). Unlike the bootstrap it stays informative at 0% and 100% (e.g. 20/20 gives
 * 83.9–100%), but it assumes independent samples. NaN for n = 0.
 */
export function wilsonInterval(successes: number, n: number, alpha = 0.05): Interval {
  if (!Number.isInteger(n) || n < 0) throw new Error(`wilsonInterval: n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(successes) || successes < 0 || successes > n) {
    throw new Error(`wilsonInterval: successes must be an integer in [0, ${n}], got ${successes}`);
  }
  checkAlpha(alpha);
  if (n === 0) return { lower: Number.NaN, upper: Number.NaN };
  const z = normalQuantile(1 - alpha / 2);
  const p = successes / n;
  const zSquaredOverN = (z * z) / n;
  const centre = (p + zSquaredOverN / 2) / (1 + zSquaredOverN);
  const halfWidth = (z / (1 + zSquaredOverN)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  // At 0 or n successes the bound is exactly 0 or 1; the formula only reaches it up to rounding.
  return { lower: successes === 0 ? 0 : centre - halfWidth, upper: successes === n ? 1 : centre + halfWidth };
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const tail = 0.02425;
  if (p < tail || p > 1 - tail) {
    const q = Math.sqrt(-2 * Math.log(p < tail ? p : 1 - p));
    const x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    return p < tail ? x : -x;
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

function checkAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha < 1)) throw new Error(`alpha must be in (0, 1), got ${alpha}`);
}
