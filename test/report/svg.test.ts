import { describe, expect, it } from 'vitest';
import { axisTicks, formatCoordinate, linearScale, polylinePath, scalePoints } from '../../src/report/svg.ts';

describe('linearScale', () => {
  it('maps the domain onto the range, including a flipped range for SVG y', () => {
    const x = linearScale([0, 1], [40, 240]);
    expect([x(0), x(0.5), x(1)]).toEqual([40, 140, 240]);
    const y = linearScale([0, 1], [200, 10]);
    expect([y(0), y(1), y(0.25)]).toEqual([200, 10, 152.5]);
  });

  it('rejects an empty domain', () => {
    expect(() => linearScale([1, 1], [0, 10])).toThrow(/empty domain/);
  });
});

describe('polylinePath', () => {
  it('builds the exact path for known points, rounding to 0.1 and writing -0 as 0', () => {
    const points = [
      [0, 0],
      [10, 20],
      [30.25, -0.04],
      [100, 12.345],
    ] as const;
    expect(polylinePath(points)).toBe('M0,0L10,20L30.3,0L100,12.3');
  });

  it('drops points that round onto the previous one', () => {
    expect(
      polylinePath([
        [1, 1],
        [1.02, 0.98],
        [1.04, 1.01],
        [2, 2],
      ]),
    ).toBe('M1,1L2,2');
  });

  it('honours the decimals and is empty without points', () => {
    expect(
      polylinePath(
        [
          [1.234, 5.678],
          [9, 9],
        ],
        2,
      ),
    ).toBe('M1.23,5.68L9,9');
    expect(polylinePath([])).toBe('');
  });

  it('composes with scalePoints', () => {
    const x = linearScale([0, 1], [0, 100]);
    const y = linearScale([0, 1], [100, 0]);
    expect(
      polylinePath(
        scalePoints(
          [
            [0, 0],
            [0.5, 0.25],
            [1, 1],
          ],
          x,
          y,
        ),
      ),
    ).toBe('M0,100L50,75L100,0');
  });
});

describe('formatCoordinate', () => {
  it('drops trailing zeros', () => {
    expect(formatCoordinate(12.3, 1)).toBe('12.3');
    expect(formatCoordinate(12, 1)).toBe('12');
    expect(formatCoordinate(-0.01, 1)).toBe('0');
  });
});

describe('axisTicks', () => {
  it('gives round steps of 1, 2 or 5 × 10^n without floating-point drift', () => {
    expect(axisTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(axisTicks(0, 0.3, 3)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(axisTicks(3, 97, 5)).toEqual([20, 40, 60, 80]);
    expect(axisTicks(0, 1000, 4)).toEqual([0, 500, 1000]);
  });

  it('rejects an empty range', () => {
    expect(() => axisTicks(1, 1)).toThrow(/min < max/);
  });
});
