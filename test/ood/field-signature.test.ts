import { describe, expect, it } from 'vitest';
import { FIELD_SIGNATURE_MARGIN, UNLIKE_FIELDS_REFUSAL, fieldSignatureDistance, fieldSignatureRefusal, fitFieldSignature, type FieldSignature } from '../../src/ood/index.ts';

/** The signature whose compared vector is (objects, share): log(1 + n) = objects and logit(s) = share. */
function at(objects: number, share: number): FieldSignature {
  return { stainedObjects: Math.expm1(objects), organismFreeShare: 1 / (1 + Math.exp(-share)) };
}

describe('the field signature', () => {
  it('is compared as log(1 + stained objects) and the logit of the organism-free share', () => {
    const statistics = { mean: [0, 0], covariance: [[1, 0], [0, 1]] };
    expect(fieldSignatureDistance(statistics, { stainedObjects: 0, organismFreeShare: 0.5 })).toBeCloseTo(0, 6);
    expect(fieldSignatureDistance(statistics, { stainedObjects: Math.E - 1, organismFreeShare: 0.5 })).toBeCloseTo(1, 6);
    expect(fieldSignatureDistance(statistics, { stainedObjects: 0, organismFreeShare: Math.E / (1 + Math.E) })).toBeCloseTo(1, 6);
    // A share of exactly 1 (every tile read as organism-free) is kept finite: logit(0.999)².
    expect(fieldSignatureDistance(statistics, { stainedObjects: 0, organismFreeShare: 1 })).toBeCloseTo(Math.log(999) ** 2, 6);
  });

  it('is a Mahalanobis distance: a step along the features’ correlation costs less than one across it', () => {
    // inverse of [[2, 1], [1, 2]] is [[2, -1], [-1, 2]] / 3
    const statistics = { mean: [0, 0], covariance: [[2, 1], [1, 2]] };
    expect(fieldSignatureDistance(statistics, at(1, 1))).toBeCloseTo(2 / 3, 6);
    expect(fieldSignatureDistance(statistics, at(1, -1))).toBeCloseTo(2, 6);
  });

  it('is fitted on validation fields: their mean, covariance and a threshold the margin above the largest of their distances', () => {
    const fitted = fitFieldSignature([at(0, 0), at(2, 0), at(0, 2), at(2, 2)]);
    expect(fitted.mean[0]).toBeCloseTo(1, 9);
    expect(fitted.mean[1]).toBeCloseTo(1, 9);
    // Each feature varies by ±1 around its mean: variance 4 / 3 (n − 1), no covariance.
    expect(fitted.covariance[0][0]).toBeCloseTo(4 / 3, 9);
    expect(fitted.covariance[1][1]).toBeCloseTo(4 / 3, 9);
    expect(fitted.covariance[0][1]).toBeCloseTo(0, 9);
    // Every corner is (1, 1) from the mean: 1 / (4/3) + 1 / (4/3) = 1.5.
    expect(fitted.validation).toEqual({ fields: 4, largest: expect.closeTo(1.5, 6) });
    expect(fitted.threshold).toBeCloseTo(FIELD_SIGNATURE_MARGIN * 1.5, 6);
    expect(fieldSignatureRefusal(fitted, at(1, 1))).toBeNull();
    expect(fieldSignatureRefusal(fitted, at(2, 2))).toBeNull();
    // (3, 1) is (2, 0) from the mean: 4 / (4/3) = 3 > 2.25.
    expect(fieldSignatureRefusal(fitted, at(3, 1))).toEqual(UNLIKE_FIELDS_REFUSAL);
    expect(UNLIKE_FIELDS_REFUSAL).toEqual({ code: 'unfamiliar', reason: 'it is unlike the microscope fields this model was trained on' });
  });

  it('refuses any departure in a feature every validation field shared, without dividing by zero', () => {
    const fitted = fitFieldSignature([at(3, -2), at(3, 0), at(3, 1)], 1);
    expect(Number.isFinite(fitted.threshold)).toBe(true);
    expect(fieldSignatureRefusal(fitted, at(3, 0.5))).toBeNull();
    const departed = fieldSignatureDistance(fitted, at(2.9, 0));
    expect(Number.isFinite(departed)).toBe(true);
    expect(departed).toBeGreaterThan(1e3 * fitted.threshold);
  });

  it('needs at least three validation fields and a margin of at least 1', () => {
    expect(() => fitFieldSignature([at(1, 1), at(2, 2)])).toThrow('the field signature needs at least 3 validation fields with tiles read, got 2');
    expect(() => fitFieldSignature([at(1, 1), at(2, 2), at(0, 1)], 0.5)).toThrow("the field signature's margin must be at least 1, got 0.5");
  });
});
