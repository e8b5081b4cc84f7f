import { describe, expect, it } from 'vitest';
import {
  CLASS_IDS,
  CLEAN_DIFFICULTY,
  CLINICAL_PREVALENCE,
  DEFAULT_DIFFICULTY,
  allocateCounts,
  resolveDifficulty,
  resolvePrevalence,
  sampleSpecimen,
} from '../../src/synth/index.ts';

describe('prevalence', () => {
  it('defaults to the clinical mix: GNR and GPC common, GNC and yeast rare', () => {
    const p = resolvePrevalence();
    expect(p).toEqual(CLINICAL_PREVALENCE);
    expect(p.gnr).toBeGreaterThan(p.gnc * 5);
    expect(p.gpc_clusters).toBeGreaterThan(p.yeast * 3);
  });

  it('normalises weights, gives missing classes 0, and supports balanced', () => {
    expect(resolvePrevalence({ gnr: 3, gnc: 1 })).toMatchObject({ gnr: 0.75, gnc: 0.25, yeast: 0 });
    for (const id of CLASS_IDS) expect(resolvePrevalence('balanced')[id]).toBeCloseTo(1 / 9);
  });

  it('rejects unknown classes, negative weights and all-zero weights', () => {
    expect(() => resolvePrevalence({ staph: 1 } as never)).toThrow(/unknown class "staph"/);
    expect(() => resolvePrevalence({ gnr: -1 })).toThrow(/prevalence weight of "gnr" must be a finite number >= 0/);
    expect(() => resolvePrevalence({ gnr: 0 })).toThrow(/must not all be zero/);
    expect(() => resolvePrevalence('rare' as never)).toThrow(/prevalence must be 'clinical', 'balanced'/);
  });

  it('allocates exact totals in proportion (largest remainder)', () => {
    const counts = allocateCounts(1000, resolvePrevalence());
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(1000);
    expect(counts.gnr).toBe(280);
    expect(counts.gnc).toBe(30);
    const small = allocateCounts(10, resolvePrevalence('balanced'));
    expect(Object.values(small).reduce((a, b) => a + b, 0)).toBe(10);
    expect(Math.max(...Object.values(small)) - Math.min(...Object.values(small))).toBeLessThanOrEqual(1);
  });
});

describe('difficulty', () => {
  it('resolves presets and partial knobs over the defaults', () => {
    expect(resolveDifficulty()).toEqual(DEFAULT_DIFFICULTY);
    expect(resolveDifficulty('clean')).toEqual(CLEAN_DIFFICULTY);
    expect(resolveDifficulty({ debris: 2 })).toEqual({ ...DEFAULT_DIFFICULTY, debris: 2 });
  });

  it('rejects unknown knobs, presets and out-of-range values with one-line errors', () => {
    expect(() => resolveDifficulty({ blur: 1 } as never)).toThrow(/unknown difficulty knob "blur"/);
    expect(() => resolveDifficulty('extreme' as never)).toThrow(/unknown difficulty preset "extreme"/);
    expect(() => resolveDifficulty({ stainFaultRate: 2 })).toThrow(/difficulty.stainFaultRate must be a number in \[0, 1\]/);
    expect(() => resolveDifficulty({ focusBlurUm: [0.3, 0.1] })).toThrow(/difficulty.focusBlurUm must be a range/);
  });

  it('controls stain faults: none when clean, frequent when the rate is 1', () => {
    const stains = (difficulty: Parameters<typeof resolveDifficulty>[0]) =>
      Array.from({ length: 40 }, (_, seed) => sampleSpecimen({ label: 'gpc_clusters', seed, difficulty }).stain);
    expect(new Set(stains('clean'))).toEqual(new Set(['good']));
    expect(stains({ stainFaultRate: 1 }).every((s) => s !== 'good')).toBe(true);
    expect(new Set(stains({ stainFaultRate: 1 })).size).toBe(3);
  });
});
