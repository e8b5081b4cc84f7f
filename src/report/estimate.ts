/** Estimates with 95% intervals in the evaluate module's form, for the numbers the report adds. */
import { wilsonInterval, type BootstrapInterval, type Estimate } from '../evaluate/index.ts';

/** A proportion with its Wilson score interval (treats images as independent); null value for 0 trials. */
export function wilsonEstimate(successes: number, trials: number): Estimate {
  const { lower, upper } = wilsonInterval(successes, trials, 0.05);
  return { value: orNull(successes / trials), ci95: [orNull(lower), orNull(upper)], ciMethod: 'wilson' };
}

/**
 * evaluateClassifier's rule: the bootstrap interval, or the Wilson interval of the proportion when
 * under half the replicates are defined or the bootstrap interval has zero width.
 */
export function bootstrapOrWilson(value: number, interval: BootstrapInterval, [successes, trials]: readonly [number, number], iterations: number): Estimate {
  if (interval.validReplicates < iterations / 2 || interval.lower === interval.upper) {
    return { ...wilsonEstimate(successes, trials), value: orNull(value) };
  }
  return { value: orNull(value), ci95: [orNull(interval.lower), orNull(interval.upper)], ciMethod: 'bootstrap' };
}

export function orNull(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}
