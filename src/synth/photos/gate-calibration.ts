import { assessQuality, type QualityReason, type QualityReport } from '../../fields/index.ts';
import { createRng, type Rng } from '../../util/index.ts';
import { CLASS_IDS, DEFAULT_PX_PER_UM, generateField, sampleFieldConditions, type FieldConditions } from '../index.ts';

/** The ways a synthetic field is spoiled, each at a level the quality gate must catch. */
export const DEGRADATIONS = ['blur', 'dark', 'bright', 'no field', 'low magnification', 'high magnification'] as const;
export type Degradation = (typeof DEGRADATIONS)[number];

/**
 * Levels the gate is calibrated to flag, drawn uniformly: focus blur in µm (4.5..9 px at 9 px/µm),
 * exposure multipliers, and the photo's true scale over the configured one.
 */
export const DEGRADATION_LEVELS = {
  blurUm: [0.5, 1.0],
  darkExposure: [0.15, 0.35],
  brightExposure: [2.5, 4],
  lowMagnification: [0.225, 0.25],
  highMagnification: [3.5, 4.4],
} as const;

/** The reasons a degradation should produce. */
const EXPECTED_REASON: Record<Degradation, QualityReason[]> = {
  blur: ['out of focus'],
  dark: ['too dark'],
  bright: ['too bright'],
  'no field': ['no field of view'],
  'low magnification': ['magnification too low'],
  'high magnification': ['magnification too high', 'out of focus'],
};

export interface GateCase {
  label: string;
  degradation: Degradation | null;
  /** The degradation's level (blur µm, exposure or magnification), null for clean fields. */
  level: number | null;
  report: QualityReport;
}

export interface GateRates {
  /** Share of clean fields the gate flagged (should be small). */
  cleanFlaggedRate: number;
  /** Share of degraded fields the gate flagged (should be near 1). */
  degradedFlaggedRate: number;
  /** Per degradation: fields, share flagged, share flagged for the expected reason. */
  byDegradation: Record<string, { n: number; flagged: number; expectedReason: number }>;
  cases: GateCase[];
}

export interface GateOptions {
  /** Default 1600 x 1200 at 9 px/µm, as generateField. */
  width?: number;
  height?: number;
  pxPerUm?: number;
  /** Degradations to cycle through; default all that fit the generator's px/µm range (2..40). */
  degradations?: readonly Degradation[];
  /** Called after each rendered field (for progress). */
  onCase?: (done: number, total: number) => void;
}

const PX_PER_UM_RANGE = [2, 40] as const;

function uniform(rng: Rng, range: readonly [number, number]): number {
  return rng.uniform(range[0], range[1]);
}

/** A photo with no lit field: the lens cap on (dark sensor noise) or a blank, overexposed frame. */
function blankPhoto(rng: Rng, width: number, height: number, bright: boolean): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  const level = bright ? 252 : 4;
  for (let i = 0; i < rgb.length; i++) rgb[i] = Math.max(0, Math.min(255, Math.round(level + 3 * rng.normal())));
  return rgb;
}

function feasible(degradation: Degradation, pxPerUm: number): boolean {
  if (degradation === 'low magnification') return pxPerUm * DEGRADATION_LEVELS.lowMagnification[0] >= PX_PER_UM_RANGE[0];
  if (degradation === 'high magnification') return pxPerUm * DEGRADATION_LEVELS.highMagnification[1] <= PX_PER_UM_RANGE[1];
  return true;
}

/**
 * Renders n clean synthetic fields (default difficulty, random classes) and n degraded ones (the
 * degradations in turn) and runs the quality gate on each at the configured px/µm: the rates at
 * which it flags them, per degradation, with every case for inspection. Seeded, so repeatable.
 */
export function measureQualityGate(n: number, seed: number, options: GateOptions = {}): GateRates {
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`n must be a positive integer (got ${n})`);
  const width = options.width ?? 1600;
  const height = options.height ?? 1200;
  const pxPerUm = options.pxPerUm ?? DEFAULT_PX_PER_UM;
  const degradations = (options.degradations ?? DEGRADATIONS).filter((d) => feasible(d, pxPerUm));
  if (degradations.length === 0) throw new Error(`no degradation can be rendered at ${pxPerUm} px/µm`);
  const rng = createRng(seed);
  const cases: GateCase[] = [];
  const assess = (rgb: Uint8Array): QualityReport => assessQuality(rgb, width, height, { pxPerUm });

  for (let i = 0; i < 2 * n; i++) {
    const label = rng.pick(CLASS_IDS);
    const fieldSeed = rng.int(2 ** 31);
    const field: FieldConditions = sampleFieldConditions({ seed: fieldSeed + 1 });
    const degradation = i < n ? null : degradations[(i - n) % degradations.length];
    let level: number | null = null;
    let scale = pxPerUm;
    let rgb: Uint8Array | null = null;
    if (degradation === 'blur') field.blurUm = level = uniform(rng, DEGRADATION_LEVELS.blurUm);
    else if (degradation === 'dark') field.exposure = level = uniform(rng, DEGRADATION_LEVELS.darkExposure);
    else if (degradation === 'bright') field.exposure = level = uniform(rng, DEGRADATION_LEVELS.brightExposure);
    else if (degradation === 'low magnification') scale = pxPerUm * (level = uniform(rng, DEGRADATION_LEVELS.lowMagnification));
    else if (degradation === 'high magnification') scale = pxPerUm * (level = uniform(rng, DEGRADATION_LEVELS.highMagnification));
    else if (degradation === 'no field') rgb = blankPhoto(rng, width, height, rng.chance(0.5));
    rgb ??= generateField({ label, seed: fieldSeed, width, height, pxPerUm: scale, field }).rgb;
    cases.push({ label, degradation, level, report: assess(rgb) });
    options.onCase?.(i + 1, 2 * n);
  }

  const clean = cases.filter((c) => c.degradation === null);
  const degraded = cases.filter((c) => c.degradation !== null);
  const byDegradation: GateRates['byDegradation'] = {};
  for (const d of degradations) {
    const group = degraded.filter((c) => c.degradation === d);
    if (group.length === 0) continue;
    byDegradation[d] = {
      n: group.length,
      flagged: group.filter((c) => !c.report.ok).length / group.length,
      expectedReason: group.filter((c) => c.report.reasons.some((r) => EXPECTED_REASON[d].includes(r))).length / group.length,
    };
  }
  return {
    cleanFlaggedRate: clean.filter((c) => !c.report.ok).length / clean.length,
    degradedFlaggedRate: degraded.filter((c) => !c.report.ok).length / degraded.length,
    byDegradation,
    cases,
  };
}
