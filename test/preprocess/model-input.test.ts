import { describe, expect, it } from 'vitest';
import type { RawImage } from '../../src/data/index.ts';
import type { InputPolicy } from '../../src/models/index.ts';
import { modelInput, normaliseInPlace, normaliseStainFor, stainReferenceOf } from '../../src/preprocess/index.ts';
import { createRng } from '../../src/util/index.ts';

const rng = createRng(5);
const image: RawImage = { data: Float32Array.from({ length: 4 * 4 * 3 }, () => 0.3 + 0.6 * rng.next()), height: 4, width: 4, channels: 3 };
const input: InputPolicy = { height: 4, width: 4, channels: 3, fit: 'fill', mean: [0.1, 0.5, 0.9], std: [0.5, 0.25, 2] };

describe('normaliseInPlace', () => {
  it('subtracts the channel mean and divides by the channel sd', () => {
    const data = Float32Array.of(0.1, 0.5, 0.9, 0.6, 0.75, 2.9);
    normaliseInPlace(data, 3, { mean: [0.1, 0.5, 0.9], std: [0.5, 0.25, 2] });
    expect(Array.from(data)).toEqual([0, 0, 0, 1, 1, 1].map((v) => expect.closeTo(v, 6)));
  });
});

describe('modelInput', () => {
  it('normalises by mean and sd without touching the decoded image', () => {
    const before = image.data.slice();
    const out = modelInput(image, input);
    expect(image.data).toEqual(before);
    const expected = before.slice();
    normaliseInPlace(expected, 3, input);
    expect(out).toEqual(expected);
  });

  it('stain-normalises first when the bundle says so', () => {
    const stain = stainReferenceOf({ images: Float32Array.from({ length: 2 * 48 }, () => 0.2 + 0.7 * rng.next()), shape: [2, 4, 4, 3] }, 'reinhard', 1);
    const expected = normaliseStainFor(image.data, 4, 4, stain);
    normaliseInPlace(expected, 3, input);
    expect(modelInput(image, { ...input, stain })).toEqual(expected);
  });

  it('refuses an image of another size, naming its index', () => {
    expect(() => modelInput({ ...image, height: 5, data: new Float32Array(5 * 4 * 3) }, input, 7)).toThrow('image 7 is 5×4×3; the model takes 4×4×3');
  });
});
