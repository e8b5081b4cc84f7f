import { GRAM_SAFE_LIMITS } from './colour.ts';
import {
  type Pipeline,
  type PipelineStep,
  type Transform,
  compose,
  randomBlur,
  randomBrightness,
  randomContrast,
  randomCutout,
  randomFlipHorizontal,
  randomFlipVertical,
  randomGamma,
  randomGramSafeColourJitter,
  randomNoise,
  randomRotate90,
  randomRotation,
  randomShift,
  randomZoom,
} from './pipeline.ts';

/**
 * Which augmentations run and how strongly; `p` is each one's probability. A plain object so it
 * can live in a run config. Steps always run in this order: geometry, colour and intensity,
 * blur, noise, cutout.
 */
export interface AugmentConfig {
  flipHorizontal?: { p: number };
  flipVertical?: { p: number };
  rotate90?: { p: number };
  rotate?: { p: number; maxDegrees: number };
  shift?: { p: number; maxFraction: number };
  zoom?: { p: number; min: number; max: number };
  colourJitter?: { p: number; brightness: number; saturation: number; channelGain: number };
  brightness?: { p: number; maxDelta: number };
  contrast?: { p: number; maxDelta: number };
  gamma?: { p: number; min: number; max: number };
  blur?: { p: number; maxSigma: number };
  noise?: { p: number; maxSigma: number };
  cutout?: { p: number; maxFraction: number };
}

type StepName = keyof AugmentConfig;

/** Each config entry's parameters (besides p), with their valid range, and how to build its transform. */
interface StepSpec<K extends StepName> {
  ranges: Record<string, [number, number]>;
  build: (params: NonNullable<AugmentConfig[K]>) => Transform;
}

const STEPS: { [K in StepName]-?: StepSpec<K> } = {
  flipHorizontal: { ranges: {}, build: randomFlipHorizontal },
  flipVertical: { ranges: {}, build: randomFlipVertical },
  rotate90: { ranges: {}, build: randomRotate90 },
  rotate: { ranges: { maxDegrees: [0, 180] }, build: randomRotation },
  shift: { ranges: { maxFraction: [0, 0.5] }, build: randomShift },
  zoom: { ranges: { min: [0.1, 10], max: [0.1, 10] }, build: randomZoom },
  colourJitter: {
    ranges: {
      brightness: [0, GRAM_SAFE_LIMITS.brightness],
      saturation: [0, GRAM_SAFE_LIMITS.saturation],
      channelGain: [0, GRAM_SAFE_LIMITS.channelGain],
    },
    build: randomGramSafeColourJitter,
  },
  brightness: { ranges: { maxDelta: [0, 1] }, build: randomBrightness },
  contrast: { ranges: { maxDelta: [0, 1] }, build: randomContrast },
  gamma: { ranges: { min: [0.1, 10], max: [0.1, 10] }, build: randomGamma },
  blur: { ranges: { maxSigma: [0.1, 10] }, build: randomBlur },
  noise: { ranges: { maxSigma: [0, 1] }, build: randomNoise },
  cutout: { ranges: { maxFraction: [0, 1] }, build: randomCutout },
};

const STEP_ORDER = Object.keys(STEPS) as StepName[];

/** Named starting points. Microscopy fields have no up or down; radiographs do (and a left side). */
export const AUGMENT_PRESETS = {
  none: {},
  microscopy: {
    flipHorizontal: { p: 0.5 },
    flipVertical: { p: 0.5 },
    rotate90: { p: 0.5 },
    rotate: { p: 0.3, maxDegrees: 15 },
    zoom: { p: 0.3, min: 0.9, max: 1.1 },
    colourJitter: { p: 0.5, brightness: 0.1, saturation: 0.1, channelGain: 0.05 },
    contrast: { p: 0.3, maxDelta: 0.15 },
    blur: { p: 0.2, maxSigma: 1 },
    noise: { p: 0.2, maxSigma: 0.02 },
  },
  radiology: {
    rotate: { p: 0.5, maxDegrees: 10 },
    shift: { p: 0.5, maxFraction: 0.05 },
    zoom: { p: 0.5, min: 0.9, max: 1.1 },
    brightness: { p: 0.5, maxDelta: 0.1 },
    contrast: { p: 0.5, maxDelta: 0.2 },
    gamma: { p: 0.3, min: 0.8, max: 1.25 },
    noise: { p: 0.2, maxSigma: 0.02 },
  },
} as const satisfies Record<string, AugmentConfig>;

export type AugmentPresetName = keyof typeof AUGMENT_PRESETS;

export const DEFAULT_AUGMENT_CONFIG: AugmentConfig = AUGMENT_PRESETS.microscopy;

/** Throws a one-line message naming the first invalid entry. */
export function validateAugmentConfig(config: AugmentConfig): void {
  for (const key of Object.keys(config)) {
    if (!(key in STEPS)) throw new Error(`Unknown augmentation "${key}"; known: ${STEP_ORDER.join(', ')}`);
  }
  for (const name of STEP_ORDER) {
    const entry = config[name] as Record<string, number> | undefined;
    if (entry === undefined) continue;
    const allowed = ['p', ...Object.keys(STEPS[name].ranges)];
    for (const key of Object.keys(entry)) {
      if (!allowed.includes(key)) throw new Error(`Augmentation ${name} has an unknown setting "${key}"; expected ${allowed.join(', ')}`);
    }
    for (const [key, [low, high]] of Object.entries({ p: [0, 1] as [number, number], ...STEPS[name].ranges })) {
      const value = entry[key];
      if (typeof value !== 'number' || !(value >= low && value <= high)) {
        throw new Error(`Augmentation ${name}.${key} must be a number in ${low}..${high}, got ${JSON.stringify(value)}`);
      }
    }
    if ('min' in entry && entry.min > entry.max) throw new Error(`Augmentation ${name}: min ${entry.min} is above max ${entry.max}`);
  }
}

/** Builds the pipeline for a config (or a preset name). */
export function augmentPipeline(config: AugmentConfig | AugmentPresetName = DEFAULT_AUGMENT_CONFIG): Pipeline {
  if (typeof config === 'string') {
    if (!(config in AUGMENT_PRESETS)) {
      throw new Error(`Unknown augmentation preset "${config}"; use ${Object.keys(AUGMENT_PRESETS).join(', ')}`);
    }
    return augmentPipeline(AUGMENT_PRESETS[config]);
  }
  validateAugmentConfig(config);
  const steps: PipelineStep[] = [];
  for (const name of STEP_ORDER) {
    const entry = config[name];
    if (entry === undefined) continue;
    const build = STEPS[name].build as (params: typeof entry) => Transform;
    steps.push({ transform: build(entry), probability: entry.p });
  }
  return compose(steps);
}
