/**
 * Making ROC and precision-recall curves small enough to embed: thinning to a bounded number of
 * points and rounding. The AUC and AP shown in the report are computed on the full curves, so
 * thinning only affects the drawing (by less than the tolerance it reaches, far below a pixel for
 * typical test sets).
 */
import type { Point } from './svg.ts';

/** Upper bound on points per curve in the report (HTML and JSON). */
export const MAX_CURVE_POINTS = 500;

/** Decimals kept for curve coordinates in [0, 1]; 1e-4 is far below what a chart can show. */
export const CURVE_DECIMALS = 4;

/**
 * At most `maxPoints` points of the polyline, always including both end points, chosen by the
 * Ramer-Douglas-Peucker order of importance, so the kept points are exactly those RDP keeps at the
 * smallest tolerance that leaves no more than `maxPoints`. Points exactly on the line between their
 * neighbours (collinear runs, duplicates) are dropped even when the curve is short, which loses nothing.
 */
export function thinCurve(points: readonly Point[], maxPoints = MAX_CURVE_POINTS): Point[] {
  if (!Number.isInteger(maxPoints) || maxPoints < 2) throw new Error(`thinCurve: maxPoints must be an integer >= 2, got ${maxPoints}`);
  if (points.length <= 2) return points.slice();
  const importance = rdpImportance(points);
  const byImportance = Array.from(importance.keys()).sort((a, b) => importance[b] - importance[a] || a - b);
  const keep = new Uint8Array(points.length);
  for (const i of byImportance.slice(0, maxPoints)) {
    if (importance[i] <= 0) break;
    keep[i] = 1;
  }
  return points.filter((_, i) => keep[i] === 1);
}

/**
 * For each point, the largest RDP tolerance at which it is still kept: the distance at which RDP
 * splits there, capped by every enclosing split (a point survives only if its ancestors do).
 * End points are Infinity. Iterative, so long curves cannot overflow the stack.
 */
export function rdpImportance(points: readonly Point[]): Float64Array {
  const importance = new Float64Array(points.length);
  importance[0] = Number.POSITIVE_INFINITY;
  importance[points.length - 1] = Number.POSITIVE_INFINITY;
  const stack: [first: number, last: number, cap: number][] = [[0, points.length - 1, Number.POSITIVE_INFINITY]];
  while (stack.length > 0) {
    const [first, last, cap] = stack.pop()!;
    if (last - first < 2) continue;
    let farthest = first + 1;
    let farthestDistance = -1;
    for (let i = first + 1; i < last; i++) {
      const distance = distanceToSegment(points[i], points[first], points[last]);
      if (distance > farthestDistance) {
        farthest = i;
        farthestDistance = distance;
      }
    }
    const kept = Math.min(cap, farthestDistance);
    importance[farthest] = kept;
    stack.push([first, farthest, kept], [farthest, last, kept]);
  }
  return importance;
}

export function distanceToSegment([px, py]: Point, [ax, ay]: Point, [bx, by]: Point): number {
  const dx = bx - ax;
  const dy = by - ay;
  const lengthSquared = dx * dx + dy * dy;
  const t = lengthSquared === 0 ? 0 : Math.min(1, Math.max(0, ((px - ax) * dx + (py - ay) * dy) / lengthSquared));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/**
 * A step curve through the points ("steps-post", as scikit-learn draws precision-recall): y holds
 * its value until the next x. Linear interpolation between PR points would overstate precision.
 */
export function stepPoints(points: readonly Point[]): Point[] {
  const steps: Point[] = [];
  points.forEach(([x, y], i) => {
    steps.push([x, y]);
    if (i + 1 < points.length) steps.push([points[i + 1][0], y]);
  });
  return steps;
}

/** Rounded, then thinned points for the report (rounding first lets thinning drop the duplicates it makes). */
export function compactCurve(x: readonly number[], y: readonly number[]): Point[] {
  return thinCurve(x.map((value, i): Point => [round(value, CURVE_DECIMALS), round(y[i], CURVE_DECIMALS)]));
}

function round(value: number, decimals: number): number {
  const rounded = Number(value.toFixed(decimals));
  return rounded === 0 ? 0 : rounded;
}
