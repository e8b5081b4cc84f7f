import { describe, expect, it } from 'vitest';
import { flipHorizontal, flipVertical, rotate, rotate90, shift, warpAffine, zoom } from '../../src/augment/index.ts';
import { image, maxAbsDifference, randomImage } from './helpers.ts';

// 2 high × 3 wide, one channel:  1 2 3 / 4 5 6
const small = image(2, 3, 1, [1, 2, 3, 4, 5, 6]);
const values = (img: { data: Float32Array }): number[] => Array.from(img.data);

describe('flips', () => {
  it('mirror a 2×3 image left-right and top-bottom', () => {
    expect(values(flipHorizontal(small))).toEqual([3, 2, 1, 6, 5, 4]);
    expect(values(flipVertical(small))).toEqual([4, 5, 6, 1, 2, 3]);
  });

  it('move whole pixels, keeping channels together, and leave the input alone', () => {
    const rgb = image(1, 2, 3, [0.1, 0.2, 0.3, 0.7, 0.8, 0.9]);
    expect(values(flipHorizontal(rgb))).toEqual(values(image(1, 2, 3, [0.7, 0.8, 0.9, 0.1, 0.2, 0.3])));
    expect(values(rgb)).toEqual(values(image(1, 2, 3, [0.1, 0.2, 0.3, 0.7, 0.8, 0.9])));
  });
});

describe('rotate90', () => {
  it('turns counter-clockwise like numpy.rot90', () => {
    const once = rotate90(small, 1);
    expect([once.height, once.width]).toEqual([3, 2]);
    expect(values(once)).toEqual([3, 6, 2, 5, 1, 4]);
    expect(values(rotate90(small, 2))).toEqual([6, 5, 4, 3, 2, 1]);
    expect(values(rotate90(small, 3))).toEqual([4, 1, 5, 2, 6, 3]);
    expect(values(rotate90(small, -1))).toEqual([4, 1, 5, 2, 6, 3]);
  });

  it('four quarter turns give back the image', () => {
    const rgb = randomImage(5, 7, 3, 1);
    let turned = rgb;
    for (let i = 0; i < 4; i++) turned = rotate90(turned, 1);
    expect(turned).toEqual(rgb);
  });
});

describe('free rotation, shift and zoom', () => {
  it('rotation by 0 and zoom by 1 are exact identities', () => {
    const rgb = randomImage(9, 11, 3, 2);
    expect(rotate(rgb, 0)).toEqual(rgb);
    expect(zoom(rgb, 1)).toEqual(rgb);
    expect(shift(rgb, 0, 0)).toEqual(rgb);
  });

  it('rotation by 90° matches rotate90 on a square image', () => {
    const square = randomImage(8, 8, 3, 3);
    expect(maxAbsDifference(rotate(square, 90), rotate90(square, 1))).toBeLessThan(1e-5);
    expect(maxAbsDifference(rotate(square, -90), rotate90(square, 3))).toBeLessThan(1e-5);
  });

  it('shifts whole pixels with a mirrored border', () => {
    const row = image(1, 5, 1, [1, 2, 3, 4, 5]);
    expect(values(shift(row, 0, 2))).toEqual([3, 2, 1, 2, 3]);
    expect(values(shift(row, 0, -1))).toEqual([2, 3, 4, 5, 4]);
  });

  it('interpolates bilinearly between pixels', () => {
    const row = image(1, 3, 1, [0, 1, 0.5]);
    expect(values(shift(row, 0, -0.5))).toEqual([0.5, 0.75, 0.75]);
    const grid = image(2, 2, 1, [0, 1, 2, 3]);
    expect(values(warpAffine(grid, [0, 0, 0.5, 0, 0, 0.5]))).toEqual([1.5, 1.5, 1.5, 1.5]);
  });

  it('zooms about the centre', () => {
    const row = image(1, 5, 1, [0, 1, 2, 3, 4]);
    expect(values(zoom(row, 2))).toEqual([1, 1.5, 2, 2.5, 3]);
    expect(() => zoom(row, 0)).toThrow('Zoom factor must be positive');
  });

  it('keeps values within the input range under rotation', () => {
    const rgb = randomImage(16, 16, 3, 4);
    const turned = rotate(rgb, 33);
    expect(Math.min(...turned.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...turned.data)).toBeLessThanOrEqual(1);
  });
});
