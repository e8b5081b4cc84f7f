import { describe, expect, it } from 'vitest';
import {
  addGaussianNoise,
  adjustBrightness,
  adjustContrast,
  adjustGamma,
  channelMeans,
  cutout,
  gaussianBlur,
  gaussianKernel,
} from '../../src/augment/index.ts';
import { createRng } from '../../src/util/index.ts';
import { image, randomImage } from './helpers.ts';

const values = (img: { data: Float32Array }): number[] => Array.from(img.data);

describe('brightness, contrast, gamma', () => {
  it('brightness adds and clamps to 0..1', () => {
    const img = image(1, 4, 1, [0, 0.25, 0.85, 1]);
    expect(values(adjustBrightness(img, 0.2))).toEqual([0.2, 0.45, 1, 1].map(Math.fround));
    expect(values(adjustBrightness(img, -0.3))).toEqual([0, 0, 0.55, 0.7].map(Math.fround));
  });

  it('contrast scales around the image mean', () => {
    const img = image(1, 4, 1, [0.2, 0.4, 0.6, 0.8]);
    expect(values(adjustContrast(img, 1))).toEqual(values(img));
    const stronger = adjustContrast(img, 2);
    [0, 0.3, 0.7, 1].forEach((v, i) => expect(stronger.data[i]).toBeCloseTo(v, 6));
    expect(values(adjustContrast(img, 0)).every((v) => Math.abs(v - 0.5) < 1e-6)).toBe(true);
  });

  it('gamma keeps 0 and 1 and bends mid-tones', () => {
    const img = image(1, 3, 1, [0, 0.25, 1]);
    expect(values(adjustGamma(img, 0.5))).toEqual([0, 0.5, 1]);
    expect(adjustGamma(img, 2).data[1]).toBeCloseTo(0.0625, 6);
    expect(() => adjustGamma(img, 0)).toThrow('Gamma must be positive');
  });
});

describe('Gaussian blur', () => {
  it('has a symmetric kernel that sums to 1', () => {
    const kernel = gaussianKernel(1.5);
    expect(kernel).toHaveLength(11);
    expect(kernel.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    for (let i = 0; i < 5; i++) expect(kernel[i]).toBeCloseTo(kernel[10 - i], 7);
    expect(kernel[5]).toBe(Math.max(...kernel));
  });

  it('turns a centred delta into the normalised 2-D kernel', () => {
    const size = 9;
    const delta = image(size, size, 1, new Array(size * size).fill(0));
    delta.data[4 * size + 4] = 1;
    const blurred = gaussianBlur(delta, 1);
    const kernel = gaussianKernel(1); // radius 3: fits inside the 9×9 image, so no border effects
    expect(blurred.data.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const expected = y >= 1 && y <= 7 && x >= 1 && x <= 7 ? kernel[y - 1] * kernel[x - 1] : 0;
        expect(blurred.data[y * size + x]).toBeCloseTo(expected, 7);
      }
    }
  });

  it('leaves a constant image constant (mirrored borders) and blurs channels separately', () => {
    const flat = image(4, 5, 3, new Array(60).fill(0).map((_, i) => [0.2, 0.5, 0.9][i % 3]));
    const blurred = gaussianBlur(flat, 2);
    for (let i = 0; i < blurred.data.length; i++) expect(blurred.data[i]).toBeCloseTo([0.2, 0.5, 0.9][i % 3], 6);
  });
});

describe('noise and cutout', () => {
  it('adds zero-mean noise of the requested spread, reproducibly', () => {
    const grey = image(64, 64, 1, new Array(64 * 64).fill(0.5));
    const noisy = addGaussianNoise(grey, 0.05, createRng(1));
    let sum = 0;
    let sumSq = 0;
    for (const v of noisy.data) {
      sum += v - 0.5;
      sumSq += (v - 0.5) ** 2;
    }
    const n = noisy.data.length;
    expect(Math.abs(sum / n)).toBeLessThan(0.003);
    expect(Math.sqrt(sumSq / n)).toBeCloseTo(0.05, 2);
    expect(addGaussianNoise(grey, 0.05, createRng(1))).toEqual(noisy);
    expect(addGaussianNoise(grey, 0.05, createRng(2))).not.toEqual(noisy);
  });

  it('fills a clipped rectangle with the channel means or a given value', () => {
    const img = image(3, 3, 1, [0, 0, 0, 0, 0, 0, 0, 0, 0.9]);
    expect(channelMeans(img)[0]).toBeCloseTo(0.1, 6);
    expect(values(cutout(img, { top: 1, left: 1, height: 5, width: 5 }, [1]))).toEqual([0, 0, 0, 0, 1, 1, 0, 1, 1]);
    const filled = cutout(img, { top: 0, left: 0, height: 1, width: 2 });
    expect(filled.data[0]).toBeCloseTo(0.1, 6);
    expect(filled.data[2]).toBe(0);
  });

  it('does not modify its input', () => {
    const img = randomImage(6, 6, 3, 9);
    const copy = values(img);
    adjustBrightness(img, 0.3);
    gaussianBlur(img, 1);
    addGaussianNoise(img, 0.1, createRng(1));
    cutout(img, { top: 0, left: 0, height: 3, width: 3 });
    expect(values(img)).toEqual(copy);
  });
});
