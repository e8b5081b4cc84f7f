import { describe, expect, it } from 'vitest';
import { measureQualityGate } from '../../src/synth/photos/index.ts';

describe('measureQualityGate', () => {
  // Small fields at the calibration scale (9 px/µm). The magnification degradations need full-size
  // fields to show enough objects; their rates are measured in src/fields/README.md.
  it('passes clean synthetic fields and flags blurred, dark, bright and blank ones', () => {
    const rates = measureQualityGate(4, 21, { width: 640, height: 480, degradations: ['blur', 'dark', 'bright', 'no field'] });
    expect(Object.keys(rates.byDegradation)).toEqual(['blur', 'dark', 'bright', 'no field']);
    expect(rates.cases).toHaveLength(8);
    expect(rates.cleanFlaggedRate).toBe(0);
    expect(rates.degradedFlaggedRate).toBe(1);
    for (const [degradation, rate] of Object.entries(rates.byDegradation)) expect(rate.expectedReason, degradation).toBe(1);
  });

  it('is repeatable from its seed and validates n', () => {
    const a = measureQualityGate(1, 3, { width: 320, height: 240, pxPerUm: 3, degradations: ['dark'] });
    const b = measureQualityGate(1, 3, { width: 320, height: 240, pxPerUm: 3, degradations: ['dark'] });
    expect(a.cases.map((c) => c.report.measures)).toEqual(b.cases.map((c) => c.report.measures));
    expect(() => measureQualityGate(0, 1)).toThrow(/n must be/);
    expect(() => measureQualityGate(1, 1, { pxPerUm: 4, degradations: ['low magnification'] })).toThrow(/no degradation/);
  });
});
