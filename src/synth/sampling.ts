import type { Rng } from '../util/index.ts';
import type { Range } from './options.ts';

export const inRange = (rng: Rng, [lo, hi]: Range): number => rng.uniform(lo, hi);

export const logUniform = (rng: Rng, [lo, hi]: Range): number => Math.exp(rng.uniform(Math.log(lo), Math.log(hi)));

export function weightedPick<T>(rng: Rng, items: readonly T[], weightOf: (item: T) => number): T {
  const total = items.reduce((sum, item) => sum + weightOf(item), 0);
  let r = rng.next() * total;
  for (const item of items) {
    r -= weightOf(item);
    if (r < 0) return item;
  }
  return items[items.length - 1];
}

/** Poisson count (Knuth's method; normal approximation for large means). */
export function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 40) return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = rng.next(); p > limit; p *= rng.next()) k++;
  return k;
}

/** Group sizes with a long tail: mostly near the mean, sometimes much larger. */
export function groupCount(rng: Rng, mean: number, min: number): number {
  return Math.max(min, Math.round(min + -Math.log(1 - rng.next()) * Math.max(0, mean - min)));
}
