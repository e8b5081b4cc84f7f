import { describe, expect, it } from 'vitest';
import { aucTrapezoid, rocCurve } from '../../src/evaluate/index.ts';
import { compactCurve, MAX_CURVE_POINTS, rdpImportance, stepPoints, thinCurve } from '../../src/report/curves.ts';
import type { Point } from '../../src/report/svg.ts';
import { createRng } from '../../src/util/index.ts';

function largeRoc(n: number): { fpr: number[]; tpr: number[] } {
  const rng = createRng(5);
  const labels = Array.from({ length: n }, (_, i) => i % 2);
  const scores = labels.map((label) => rng.normal() + 1.2 * label);
  return rocCurve(labels, scores);
}

const auc = (points: readonly Point[]) =>
  aucTrapezoid(
    points.map(([x]) => x),
    points.map(([, y]) => y),
  );

describe('thinCurve', () => {
  it('keeps at most maxPoints, always including both end points', () => {
    const { fpr, tpr } = largeRoc(6000);
    const points = fpr.map((x, i): Point => [x, tpr[i]]);
    expect(points.length).toBeGreaterThan(MAX_CURVE_POINTS);
    const thinned = thinCurve(points);
    expect(thinned.length).toBeLessThanOrEqual(MAX_CURVE_POINTS);
    expect(thinned[0]).toEqual(points[0]);
    expect(thinned[thinned.length - 1]).toEqual(points[points.length - 1]);
    const tiny = thinCurve(points, 2);
    expect(tiny).toEqual([points[0], points[points.length - 1]]);
  });

  it('keeps the points in their original order and barely moves the area under the curve', () => {
    const { fpr, tpr } = largeRoc(6000);
    const points = fpr.map((x, i): Point => [x, tpr[i]]);
    const thinned = thinCurve(points);
    const indices = thinned.map((point) => points.indexOf(point));
    indices.slice(1).forEach((index, i) => expect(index).toBeGreaterThan(indices[i]));
    expect(Math.abs(auc(thinned) - auc(points))).toBeLessThan(1e-3);
  });

  it('drops only collinear points from a short curve', () => {
    const points: Point[] = [
      [0, 0],
      [0, 0.5],
      [0, 1],
      [0.5, 1],
      [0.5, 1],
      [1, 1],
    ];
    expect(thinCurve(points)).toEqual([
      [0, 0],
      [0, 1],
      [1, 1],
    ]);
    const corner: Point[] = [
      [0, 0],
      [0.2, 0.7],
      [1, 1],
    ];
    expect(thinCurve(corner)).toEqual(corner);
  });

  it('returns short curves as they are and rejects maxPoints < 2', () => {
    expect(thinCurve([[0, 0]])).toEqual([[0, 0]]);
    expect(() => thinCurve([[0, 0]], 1)).toThrow(/maxPoints/);
  });
});

describe('rdpImportance', () => {
  it('marks the ends infinite and caps a point by its enclosing split', () => {
    const importance = rdpImportance([
      [0, 0],
      [0, 1],
      [0.1, 1.05],
      [1, 1],
    ]);
    expect(importance[0]).toBe(Number.POSITIVE_INFINITY);
    expect(importance[3]).toBe(Number.POSITIVE_INFINITY);
    expect(importance[1]).toBeCloseTo(Math.SQRT1_2, 12);
    expect(importance[2]).toBeGreaterThan(0);
    expect(importance[2]).toBeLessThan(importance[1]);
  });
});

describe('stepPoints', () => {
  it('holds each y until the next x (steps-post)', () => {
    expect(
      stepPoints([
        [1, 0.5],
        [0.5, 0.8],
        [0, 1],
      ]),
    ).toEqual([
      [1, 0.5],
      [0.5, 0.5],
      [0.5, 0.8],
      [0, 0.8],
      [0, 1],
    ]);
  });
});

describe('compactCurve', () => {
  it('rounds to 4 decimals and merges the duplicates rounding makes', () => {
    expect(compactCurve([0, 0.123456, 0.12346, 1], [0, 0.5, 0.5, 1])).toEqual([
      [0, 0],
      [0.1235, 0.5],
      [1, 1],
    ]);
  });
});
