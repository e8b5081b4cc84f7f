import { describe, expect, it } from 'vitest';
import { UPLOAD_MAX_SIDE, UPLOAD_SCALE_MARGIN, uploadScale } from '../../src/preprocess/index.ts';

describe('uploadScale', () => {
  it('shrinks a photo of known scale to a margin above the model’s scale', () => {
    // 15 px/µm photo, 6 px/µm model: 9 px/µm is enough.
    expect(uploadScale({ width: 4000, height: 3000, photoPxPerUm: 15, modelPxPerUm: 6 })).toBeCloseTo((UPLOAD_SCALE_MARGIN * 6) / 15, 12);
    // Already coarse: never enlarged.
    expect(uploadScale({ width: 4000, height: 3000, photoPxPerUm: 7, modelPxPerUm: 6 })).toBe(1);
  });

  it('brings the long side down to the upload limit when a scale is unknown', () => {
    expect(uploadScale({ width: 4000, height: 3000 })).toBe(UPLOAD_MAX_SIDE / 4000);
    expect(uploadScale({ width: 3000, height: 4000, photoPxPerUm: 15 })).toBe(UPLOAD_MAX_SIDE / 4000);
    expect(uploadScale({ width: 3000, height: 4000, modelPxPerUm: 6 })).toBe(UPLOAD_MAX_SIDE / 4000);
    expect(uploadScale({ width: 800, height: 600 })).toBe(1);
    expect(() => uploadScale({ width: 0, height: 600 })).toThrow(/positive/);
  });
});
