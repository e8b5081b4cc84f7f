import { describe, expect, it } from 'vitest';
import { decideField, fieldUncertain, fitFieldReferral, type ReferralSample } from '../../src/fields/index.ts';

describe('a field decision’s evidence share', () => {
  const classes = ['cocci', 'rods', 'empty', 'mixed'];
  const rule = { classes, backgroundClass: 'empty', mixedClass: 'mixed', presenceThreshold: 0.6, minTiles: 2 };
  const cocci = [0.9, 0.05, 0.03, 0.02];
  const weakCocci = [0.5, 0.3, 0.1, 0.1];
  const rods = [0.05, 0.85, 0.05, 0.05];
  const weakRods = [0.3, 0.5, 0.1, 0.1];
  const empty = [0.01, 0.01, 0.97, 0.01];
  const times = (row: number[], n: number): number[][] => Array.from({ length: n }, () => row);

  it('is the share of the finding’s tiles confident for their own class', () => {
    // 3 of the 4 cocci tiles reach 0.6; the empty tiles do not count.
    expect(decideField([...times(cocci, 3), weakCocci, ...times(empty, 5)], rule).evidenceShare).toBe(0.75);
  });

  it('is the weakest finding’s share when there are several', () => {
    // cocci 4 of 4, rods 2 of 5.
    const decision = decideField([...times(cocci, 4), ...times(rods, 2), ...times(weakRods, 3)], rule);
    expect(decision.multiple).toBe(true);
    expect(decision.evidenceShare).toBe(0.4);
  });

  it('is null without a finding', () => {
    expect(decideField(times(empty, 4), rule).evidenceShare).toBeNull();
  });
});

describe('fieldUncertain', () => {
  const referral = { minEvidenceShare: 0.3, maxUnfamiliarShare: 0.1 };
  const clear = { refer: false, multiple: false, probability: 0.6, evidenceShare: 0.5 };

  it('with a fitted referral: the field’s own evidence and its unfamiliar share, not the tiles’ level', () => {
    expect(fieldUncertain(clear, 0, referral, 0.96)).toBe(false);
    expect(fieldUncertain({ ...clear, evidenceShare: 0.29 }, 0, referral, 0.96)).toBe(true);
    expect(fieldUncertain({ ...clear, evidenceShare: 0.3 }, 0.1, referral, 0.96)).toBe(false);
    expect(fieldUncertain(clear, 0.11, referral, 0.96)).toBe(true);
    expect(fieldUncertain({ ...clear, multiple: true, evidenceShare: 0.05 }, 0, referral, 0.96)).toBe(true);
    // No finding ("no organisms"): the tiles' level on its probability.
    expect(fieldUncertain({ ...clear, evidenceShare: null }, 0, referral, 0.96)).toBe(true);
    expect(fieldUncertain({ ...clear, evidenceShare: null, probability: 0.97 }, 0, referral, 0.96)).toBe(false);
    expect(fieldUncertain({ ...clear, evidenceShare: null, probability: 0.97 }, 0.11, referral, 0.96)).toBe(true);
    expect(fieldUncertain({ ...clear, refer: true }, 0, referral, 0.96)).toBe(true);
  });

  it('without one (older bundles): the tiles’ referral level on the probability of an answer of one morphotype', () => {
    expect(fieldUncertain(clear, 0.5, undefined, 0.96)).toBe(true);
    expect(fieldUncertain({ ...clear, probability: 0.97 }, 0.5, undefined, 0.96)).toBe(false);
    expect(fieldUncertain({ ...clear, multiple: true }, 0, undefined, 0.96)).toBe(false);
  });
});

describe('fitFieldReferral', () => {
  it('refers at most the target share of the right answers by evidence, and of all fields by unfamiliar tiles', () => {
    // 20 right answers with evidence 0.05 … 1.00 and a wrong one at 0.01; unfamiliar shares 0 … 0.20.
    const samples: ReferralSample[] = Array.from({ length: 20 }, (_, i) => ({ evidenceShare: (i + 1) / 20, right: true, unfamiliarShare: i / 100 }));
    samples.push({ evidenceShare: 0.01, right: false, unfamiliarShare: 0.2 }, { evidenceShare: null, right: true, unfamiliarShare: 0 });
    // 5% of 20 right answers: one below the level (0.05), the level itself is 0.10.
    // 5% of 22 fields: one above the level (0.20), the level itself is 0.19.
    expect(fitFieldReferral(samples, 0.05)).toEqual({ minEvidenceShare: 0.1, maxUnfamiliarShare: 0.19 });
    // Nothing referred: the lowest evidence and the highest unfamiliar share.
    expect(fitFieldReferral(samples, 0)).toEqual({ minEvidenceShare: 0.05, maxUnfamiliarShare: 0.2 });
  });

  it('refers every answer short of all its tiles confident when no validation field was answered right, and says so when it cannot be fitted', () => {
    expect(fitFieldReferral([{ evidenceShare: 0.5, right: false, unfamiliarShare: 0.02 }])).toEqual({ minEvidenceShare: 1, maxUnfamiliarShare: 0.02 });
    expect(() => fitFieldReferral([])).toThrow(/no validation fields/);
    expect(() => fitFieldReferral([{ evidenceShare: 0.5, right: true, unfamiliarShare: 0 }], 1)).toThrow(/must be in \[0, 1\)/);
  });
});
