import { describe, expect, it } from 'vitest';
import {
  downscaleGrey,
  downscaleLuminance,
  histogram,
  histogramQuantile,
  median,
  otsuThreshold,
} from '../../src/fields/image.ts';
import { chamferDistance, closeSquare, fillHoles, labelComponents, largestComponent } from '../../src/fields/mask.ts';
import { quantile } from '../../src/preprocess/index.ts';

/** A mask from rows of '#' (set) and '.' (unset). */
function maskOf(rows: string[]): { mask: Uint8Array; width: number; height: number } {
  const width = rows[0].length;
  const mask = Uint8Array.from(rows.join('').split(''), (c) => (c === '#' ? 1 : 0));
  return { mask, width, height: rows.length };
}

function rowsOf(mask: Uint8Array, width: number): string[] {
  const rows: string[] = [];
  for (let i = 0; i < mask.length; i += width) rows.push(Array.from(mask.subarray(i, i + width), (v) => (v ? '#' : '.')).join(''));
  return rows;
}

describe('image primitives', () => {
  it('block-averages luminance (Rec. 601 weights, 0..1) and drops the remainder', () => {
    // 5x2 photo: left 2x2 block pure red (255,0,0), next block white, last column ignored.
    const rgb = new Uint8Array(5 * 2 * 3);
    for (const [x, y] of [[0, 0], [1, 0], [0, 1], [1, 1]]) rgb[(y * 5 + x) * 3] = 255;
    for (const [x, y] of [[2, 0], [3, 0], [2, 1], [3, 1]]) rgb.fill(255, (y * 5 + x) * 3, (y * 5 + x) * 3 + 3);
    const grey = downscaleLuminance(rgb, 5, 2, 2);
    expect([grey.width, grey.height]).toEqual([2, 1]);
    expect(grey.data[0]).toBeCloseTo(0.299, 6);
    expect(grey.data[1]).toBeCloseTo(1, 6);
    const half = downscaleGrey({ data: Float32Array.from([0, 1, 1, 1]), width: 2, height: 2 }, 2);
    expect(half.data[0]).toBeCloseTo(0.75, 6);
  });

  it('rejects a buffer that does not match the size', () => {
    expect(() => downscaleLuminance(new Uint8Array(10), 2, 2, 1)).toThrow(/RGB values/);
  });

  it('finds Otsu threshold between two modes and histogram quantiles', () => {
    const values = new Float32Array(1000);
    for (let i = 0; i < 1000; i++) values[i] = i < 300 ? 0.1 : 0.8;
    const counts = histogram(values);
    const t = otsuThreshold(counts);
    expect(t).toBeGreaterThan(0.1);
    expect(t).toBeLessThanOrEqual(0.8);
    expect(histogramQuantile(counts, 0.2)).toBeCloseTo(0.1, 2);
    expect(histogramQuantile(counts, 0.5)).toBeCloseTo(0.8, 2);
  });

  it('computes interpolated quantiles without touching the input', () => {
    const values = [4, 1, 3, 2];
    expect(median(values)).toBe(2.5);
    expect(quantile(values, 0)).toBe(1);
    expect(quantile(values, 1)).toBe(4);
    expect(values).toEqual([4, 1, 3, 2]);
    expect(median([])).toBeNaN();
  });
});

describe('mask primitives', () => {
  it('labels components with 4- and 8-connectivity', () => {
    const { mask, width, height } = maskOf(['#..#', '.#.#', '....', '##..']);
    expect(labelComponents(mask, width, height, 4).count).toBe(4);
    const eight = labelComponents(mask, width, height, 8);
    expect(eight.count).toBe(3);
    expect(Array.from(eight.areas).slice(1).sort()).toEqual([2, 2, 2]);
    expect(rowsOf(largestComponent(maskOf(['##.#', '##..', '...#']).mask, 4, 3), 4)).toEqual(['##..', '##..', '....']);
  });

  it('fills holes but not bays open to the border', () => {
    const { mask, width, height } = maskOf(['#####', '#...#', '#####', '#...#', '#.###']);
    expect(rowsOf(fillHoles(mask, width, height), width)).toEqual(['#####', '#####', '#####', '#...#', '#.###']);
  });

  it('gives the chamfer distance to the nearest unset pixel (a line is 1, the centre of a 5-wide square 3)', () => {
    const line = maskOf(['.....', '#####', '.....']);
    expect(Array.from(chamferDistance(line.mask, line.width, line.height).subarray(5, 10))).toEqual([1, 1, 1, 1, 1]);
    const square = maskOf(['.......', '.#####.', '.#####.', '.#####.', '.#####.', '.#####.', '.......']);
    const d = chamferDistance(square.mask, 7, 7);
    expect(d[3 * 7 + 3]).toBe(3);
    expect(d[1 * 7 + 1]).toBe(1);
    expect(d[2 * 7 + 2]).toBe(2);
  });

  it('closes gaps narrower than the square, leaving the frame edge alone', () => {
    const { mask, width, height } = maskOf(['######', '##.###', '######', '######']);
    expect(rowsOf(closeSquare(mask, width, height, 1), width)).toEqual(['######', '######', '######', '######']);
    const bay = maskOf(['#.####', '#.####', '######']);
    expect(rowsOf(closeSquare(bay.mask, bay.width, bay.height, 1), bay.width)).toEqual(['######', '######', '######']);
  });
});
