import { describe, expect, it } from 'vitest';
import {
  deletionCurve,
  energyInMask,
  gaussianBlur,
  insertionCurve,
  meanColourImage,
  pixelOrder,
  pointingGame,
  trapezoidArea,
  type FloatImage,
  type Heatmap,
  type PredictFn,
} from '../../src/explain/index.ts';

const heatmap = (values: number[], height: number, width: number): Heatmap => ({ map: new Float32Array(values), height, width });

describe('pointing game', () => {
  // 4×4 map peaking at (x 2, y 1)
  const peaked = heatmap([0, 0, 0, 0, 0, 1, 5, 0, 0, 0, 2, 0, 0, 0, 0, 0], 4, 4);
  const labels = new Uint8Array(16);
  labels[6] = 2; // the peak lies on an object of label 2
  labels[15] = 1;

  it('hits when the maximum is on the object of the given label', () => {
    expect(pointingGame(peaked, { data: labels, height: 4, width: 4 }, { label: 2 })).toEqual({ hit: true, peak: { x: 2, y: 1 } });
    expect(pointingGame(peaked, { data: labels, height: 4, width: 4 }, { label: 1 }).hit).toBe(false);
    expect(pointingGame(peaked, { data: labels, height: 4, width: 4 }).hit).toBe(true); // any non-zero label
  });

  it('accepts boolean masks and a tolerance in pixels', () => {
    const nextToPeak = Array.from({ length: 16 }, (_, i) => i === 7); // (3, 1), one pixel right of the peak
    const mask = { data: nextToPeak, height: 4, width: 4 };
    expect(pointingGame(peaked, mask).hit).toBe(false);
    expect(pointingGame(peaked, mask, { tolerance: 1 }).hit).toBe(true);
    const diagonal = { data: Array.from({ length: 16 }, (_, i) => i === 11), height: 4, width: 4 }; // (3, 2): √2 away
    expect(pointingGame(peaked, diagonal, { tolerance: 1 }).hit).toBe(false);
    expect(pointingGame(peaked, diagonal, { tolerance: 1.5 }).hit).toBe(true);
    expect(() => pointingGame(peaked, mask, { label: 1 })).toThrow(/label applies to a Uint8Array label mask/);
  });

  it('resamples a low-resolution map to the mask', () => {
    const topRight = new Uint8Array(16);
    [2, 3, 6, 7].forEach((i) => (topRight[i] = 1));
    const result = pointingGame(heatmap([0, 1, 0, 0], 2, 2), { data: topRight, height: 4, width: 4 });
    expect(result.hit).toBe(true);
    expect(result.peak).toEqual({ x: 3, y: 0 });
  });
});

describe('energy in mask', () => {
  it('is the share of positive map mass inside the object', () => {
    const mask = { data: new Uint8Array([1, 1, 0, 0]), height: 2, width: 2 };
    expect(energyInMask(heatmap([3, 1, 4, -10], 2, 2), mask)).toBeCloseTo(0.5, 10);
    expect(energyInMask(heatmap([0, 0, 2, 2], 2, 2), mask)).toBe(0);
    expect(energyInMask(heatmap([0, 0, 0, 0], 2, 2), mask)).toBe(0);
    const labelled = { data: new Uint8Array([1, 2, 2, 0]), height: 2, width: 2 };
    expect(energyInMask(heatmap([1, 1, 1, 1], 2, 2), labelled, { label: 2 })).toBeCloseTo(0.5, 10);
  });
});

describe('deletion and insertion curves', () => {
  /** 4×4×1 image: 1 on the 2×2 object R in the top-left corner, 0 elsewhere (mean 0.25). */
  const objectPixels = [0, 1, 4, 5];
  const image: FloatImage = { data: new Float32Array(16), height: 4, width: 4, channels: 1 };
  objectPixels.forEach((i) => (image.data[i] = 1));
  /** A toy classifier: P(class 1) is the mean intensity over R. */
  let calls = 0;
  const predict: PredictFn = (batch, count) => {
    calls++;
    const out = new Float32Array(count * 2);
    for (let n = 0; n < count; n++) {
      const p = objectPixels.reduce((sum, i) => sum + batch[n * 16 + i], 0) / 4;
      out.set([1 - p, p], n * 2);
    }
    return out;
  };
  const onObject = heatmap(Array.from({ length: 16 }, (_, i) => (objectPixels.includes(i) ? 1 : 0)), 4, 4);

  it('deletion of the salient pixels first: known curve and AUC', async () => {
    const curve = await deletionCurve(predict, image, onObject, { steps: 4, order: 'saliency', baseline: 'mean' });
    expect(curve.targetClass).toBe(1);
    expect(curve.fractions).toEqual([0, 0.25, 0.5, 0.75, 1]);
    // the first quarter replaces all of R with the mean 0.25
    curve.scores.forEach((s, i) => expect(s).toBeCloseTo([1, 0.25, 0.25, 0.25, 0.25][i], 6));
    expect(curve.auc).toBeCloseTo(0.25 * (0.625 + 0.75), 6);
  });

  it('insertion of the salient pixels first: known curve and AUC', async () => {
    const curve = await insertionCurve(predict, image, onObject, { steps: 4, order: 'saliency', baseline: 'mean' });
    curve.scores.forEach((s, i) => expect(s).toBeCloseTo([0.25, 1, 1, 1, 1][i], 6));
    expect(curve.auc).toBeCloseTo(0.25 * (0.625 + 3), 6);
  });

  it('a faithful map beats the seeded random order, which is reproducible', async () => {
    const options = { steps: 8, order: 'random' as const, seed: 3, baseline: 'mean' as const };
    const random = await deletionCurve(predict, image, onObject, options);
    expect((await deletionCurve(predict, image, onObject, options)).scores).toEqual(random.scores);
    const salient = await deletionCurve(predict, image, onObject, { ...options, order: 'saliency' });
    expect(salient.auc).toBeLessThan(random.auc);
    expect(random.scores[0]).toBeCloseTo(1, 6);
    expect(random.scores[8]).toBeCloseTo(0.25, 6);
    const randomInsertion = await insertionCurve(predict, image, onObject, options);
    const salientInsertion = await insertionCurve(predict, image, onObject, { ...options, order: 'saliency' });
    expect(salientInsertion.auc).toBeGreaterThan(randomInsertion.auc);
  });

  it('batches predict calls and takes a given target class', async () => {
    calls = 0;
    const curve = await deletionCurve(predict, image, onObject, { steps: 8, order: 'saliency', targetClass: 0, batchSize: 4, baseline: 'mean' });
    expect(calls).toBe(3); // 9 images in batches of 4, no extra call to find the class
    expect(curve.scores[0]).toBeCloseTo(0, 6);
    expect(curve.scores[8]).toBeCloseTo(0.75, 6);
  });

  it('blurs by default for insertion and checks its options', async () => {
    const curve = await insertionCurve(predict, image, onObject, { steps: 2, order: 'saliency', blurSigma: 1 });
    const blurred = gaussianBlur(image, 1);
    expect(curve.scores[0]).toBeCloseTo(objectPixels.reduce((sum, i) => sum + blurred.data[i], 0) / 4, 6);
    await expect(deletionCurve(predict, image, onObject, { steps: 0, order: 'saliency' })).rejects.toThrow('steps must be a positive integer, got 0');
    await expect(deletionCurve(predict, image, onObject, { steps: 2, order: 'random' })).rejects.toThrow('a random pixel order needs a seed');
    await expect(deletionCurve(predict, image, onObject, { steps: 2, order: 'saliency', targetClass: 5 })).rejects.toThrow(/class index 5 is out of range/);
  });
});

describe('curve helpers', () => {
  it('trapezoid area of known curves', () => {
    expect(trapezoidArea([0, 0.5, 1], [1, 0, 0])).toBeCloseTo(0.25, 12);
    expect(trapezoidArea([0, 1], [0.3, 0.3])).toBeCloseTo(0.3, 12);
    expect(() => trapezoidArea([0], [1])).toThrow(/at least two points/);
  });

  it('saliency order is descending with ties by index', () => {
    expect(pixelOrder(heatmap([1, 3, 3, 0], 2, 2), 'saliency')).toEqual([1, 2, 0, 3]);
    expect(pixelOrder(heatmap([0, 0, 0, 0], 2, 2), 'random', 1).slice().sort()).toEqual([0, 1, 2, 3]);
  });

  it('blur keeps a constant image and the mean colour is per channel', () => {
    const constant: FloatImage = { data: new Float32Array(5 * 4 * 2).fill(0.7), height: 5, width: 4, channels: 2 };
    gaussianBlur(constant, 2).data.forEach((v) => expect(v).toBeCloseTo(0.7, 6));
    const twoColours: FloatImage = { data: new Float32Array([0, 10, 2, 20]), height: 1, width: 2, channels: 2 };
    expect(Array.from(meanColourImage(twoColours).data)).toEqual([1, 15, 1, 15]);
  });
});
