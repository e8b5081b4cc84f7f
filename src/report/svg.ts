/** Pure helpers for the report's inline SVG charts: scales, paths and axis ticks. */

/** An (x, y) pair; curves are stored this way in the report JSON. */
export type Point = readonly [number, number];

export type Scale = (value: number) => number;

/** Maps domain [d0, d1] linearly onto range [r0, r1] (r0 > r1 flips the axis, as SVG y needs). */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d0 === d1) throw new Error(`linearScale: empty domain [${d0}, ${d1}]`);
  const slope = (r1 - r0) / (d1 - d0);
  return (value) => r0 + (value - d0) * slope;
}

/** A number with at most `decimals` decimals and no trailing zeros: 12.30 → "12.3", -0 → "0". */
export function formatCoordinate(value: number, decimals: number): string {
  const rounded = Number(value.toFixed(decimals));
  return String(rounded === 0 ? 0 : rounded);
}

/**
 * SVG path data "M x,y L x,y ..." through the points, rounded to `decimals` (0.1 px by default,
 * finer than a screen or printer resolves); points that round onto the previous one are dropped.
 */
export function polylinePath(points: readonly Point[], decimals = 1): string {
  let path = '';
  let previous = '';
  for (const [x, y] of points) {
    const coordinate = `${formatCoordinate(x, decimals)},${formatCoordinate(y, decimals)}`;
    if (coordinate === previous) continue;
    path += (path === '' ? 'M' : 'L') + coordinate;
    previous = coordinate;
  }
  return path;
}

/** Applies an x and a y scale to every point. */
export function scalePoints(points: readonly Point[], x: Scale, y: Scale): Point[] {
  return points.map(([px, py]) => [x(px), y(py)]);
}

/**
 * Round tick values (steps of 1, 2 or 5 × 10^n) covering [min, max] with about `targetCount`
 * intervals, e.g. [0, 1] → 0, 0.2, …, 1.
 */
export function axisTicks(min: number, max: number, targetCount = 5): number[] {
  if (!(max > min)) throw new Error(`axisTicks: need min < max, got [${min}, ${max}]`);
  if (!(targetCount >= 1)) throw new Error(`axisTicks: target count must be >= 1, got ${targetCount}`);
  const roughStep = (max - min) / targetCount;
  const magnitude = 10 ** Math.floor(Math.log10(roughStep));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= roughStep) ?? 10 * magnitude;
  const first = Math.ceil(min / step - 1e-9);
  const last = Math.floor(max / step + 1e-9);
  const ticks: number[] = [];
  // Multiplying integers by the step (instead of adding steps) avoids drift like 0.30000000000000004.
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}
