import { CLASS_IDS, classInfo, type ClassId } from './classes.ts';

/** A [min, max] range a value is drawn from, uniformly unless stated otherwise. */
export type Range = readonly [number, number];

/**
 * The difficulty knobs of the generator. Each is drawn per specimen (slide) or per field, so one
 * dataset mixes easy and hard images. Defaults in DEFAULT_DIFFICULTY.
 */
export interface Difficulty {
  /** Share of specimens with a stain fault: over-decolorised, under-decolorised or thick smear. Default 0.25. */
  stainFaultRate: number;
  /** Largest share of Gram-positive cells that turn pink on an over-decolorised slide. Default 0.4. */
  overDecolorisation: number;
  /** How far Gram-negatives move towards violet on an under-decolorised slide (0 pink .. 1 violet). Default 0.35. */
  underDecolorisation: number;
  /** Organism groups per 100 µm², drawn log-uniformly per specimen. Default [0.25, 2.5] (few to many). */
  organismDensity: Range;
  /** Multiplier on host-cell counts (neutrophils, epithelial cells, red cells). Default 1. */
  hostCells: number;
  /** Multiplier on debris counts. Default 1. */
  debris: number;
  /** Share of debris shaped and stained like organisms (stain precipitate, rod-like fragments). Default 0.2. */
  mimicDebris: number;
  /** Strength of the fibrous proteinaceous background. Default 1. */
  backgroundTexture: number;
  /** Focus blur, Gaussian sigma in µm, per field (~0.1 is the optics' own resolution). Default [0.06, 0.25]. */
  focusBlurUm: Range;
  /** Relative brightness variation of the illumination across a field. Default 0.25. */
  unevenLight: number;
  /** Strength of the per-device colour cast (0 = neutral white balance). Default 1. */
  colourCast: number;
  /** Sensor noise sd as a fraction of full scale. Default 0.015. */
  sensorNoise: number;
  /** JPEG quality range per field; null renders without JPEG artefacts. Default [60, 95]. */
  jpegQuality: Range | null;
  /**
   * Share of specimens that are smears of a culture (colonies suspended in saline, as in reference
   * collections): no host cells, little debris, a thin clean film. Default 0.
   */
  cultureRate: number;
  /**
   * Strength of the light's tint per microscope, on top of the phone's colour cast: lamp colour, a
   * blue daylight filter, the camera's white balance. 0 = none; 1 = glass from lilac and lavender
   * through blue and grey to pink and pale yellow, as in real photos. Default 0.
   */
  tint: number;
  /** Multiplier on every optical density per specimen (a thin smear, short staining, a faded slide). Default [1, 1]. */
  stainStrength: Range;
  /** Multiplier on the size of every organism per specimen (strains, growth phase, shrinkage by heat fixation). Default [1, 1]. */
  organismSize: Range;
  /** Veiling glare per field (stray light in the eyepiece and the phone's lens), as a share of the glass brightness added everywhere: lowers contrast. Default [0, 0]. */
  flare: Range;
  /** Extra under-exposure: a field's exposure is drawn from [1 - 0.6 unevenLight - underExposure, 1 + 0.15 unevenLight]. Default 0. */
  underExposure: number;
  /** Share of fields photographed cropped inside the field of view: no eyepiece circle, the photo fills the frame. Default 0. */
  fullFrameRate: number;
  /** Brightness fall-off from the centre to the edge of the field stop (vignetting), per field. Default [0.22, 0.22]. */
  vignetting: Range;
  /**
   * Physical scale jitter: each field (with its tiles) is rendered at pxPerUm times a factor drawn
   * log-uniformly from [1 / (1 + j), 1 + j] but declared at pxPerUm, as when a photo's scale is
   * estimated or calibrated a little wrong. Default 0.
   */
  scaleJitter: number;
}

export const DEFAULT_DIFFICULTY: Readonly<Difficulty> = {
  stainFaultRate: 0.25,
  overDecolorisation: 0.4,
  underDecolorisation: 0.35,
  organismDensity: [0.25, 2.5],
  hostCells: 1,
  debris: 1,
  mimicDebris: 0.2,
  backgroundTexture: 1,
  focusBlurUm: [0.06, 0.25],
  unevenLight: 0.25,
  colourCast: 1,
  sensorNoise: 0.015,
  jpegQuality: [60, 95],
  cultureRate: 0,
  tint: 0,
  stainStrength: [1, 1],
  organismSize: [1, 1],
  flare: [0, 0],
  underExposure: 0,
  fullFrameRate: 0,
  vignetting: [0.22, 0.22],
  scaleJitter: 0,
};

/** Perfect stain and optics (no faults, cast, blur, noise or JPEG); host cells and debris stay. */
export const CLEAN_DIFFICULTY: Readonly<Difficulty> = {
  ...DEFAULT_DIFFICULTY,
  stainFaultRate: 0,
  mimicDebris: 0,
  focusBlurUm: [0, 0],
  unevenLight: 0,
  colourCast: 0,
  sensorNoise: 0,
  jpegQuality: null,
};

export const HARD_DIFFICULTY: Readonly<Difficulty> = {
  ...DEFAULT_DIFFICULTY,
  stainFaultRate: 0.5,
  overDecolorisation: 0.7,
  underDecolorisation: 0.5,
  organismDensity: [0.08, 3],
  hostCells: 1.5,
  debris: 2,
  mimicDebris: 0.5,
  backgroundTexture: 1.5,
  focusBlurUm: [0.1, 0.45],
  unevenLight: 0.4,
  sensorNoise: 0.03,
  jpegQuality: [35, 80],
};

/**
 * What varies between labs, microscopes and phones in real photos (bench/real-vs-synth.ts compares
 * the two): tinted glass (lilac, pale yellow, pink, grey), under-exposure, faint stain and veiling
 * glare (low contrast), more blur, photos cropped inside the field (no eyepiece circle)
 * with or without vignetting, culture smears (no host cells, sparse organisms) besides clinical
 * specimens, and ±15% physical scale. Stain faults, debris and class definitions as the default.
 */
export const REALISTIC_DIFFICULTY: Readonly<Difficulty> = {
  ...DEFAULT_DIFFICULTY,
  organismDensity: [0.25, 5],
  focusBlurUm: [0.06, 0.3],
  // Real photos are evenly lit (Köhler illumination; 1% from centre to corner in the development photos).
  unevenLight: 0.1,
  // A phone photo is shrunk 2-4x to the model's scale, which averages its sensor noise away.
  sensorNoise: 0.008,
  cultureRate: 0.35,
  tint: 1,
  // DIBaS photos' rods peak at a summed optical density of 0.4-0.56, the reference photos' at 1.2-2.4
  // (bench/real-vs-synth.ts). A floor far below them (0.12, tried) hides the organisms that the
  // masks still label, and the demo's model no longer learnt the classes (field macro-F1 0.19).
  stainStrength: [0.3, 1.2],
  organismSize: [0.8, 1.05],
  flare: [0, 0.1],
  underExposure: 0.1,
  fullFrameRate: 0.5,
  vignetting: [0, 0.25],
  scaleJitter: 0.15,
};

export const DIFFICULTY_PRESETS = { clean: CLEAN_DIFFICULTY, default: DEFAULT_DIFFICULTY, hard: HARD_DIFFICULTY, realistic: REALISTIC_DIFFICULTY } as const;

export type DifficultyOption = keyof typeof DIFFICULTY_PRESETS | Partial<Difficulty>;

function checkRange(name: string, range: Range, min: number, max: number): void {
  const [lo, hi] = range;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo >= min && hi <= max && lo <= hi)) {
    throw new Error(`difficulty.${name} must be a range [lo, hi] with ${min} <= lo <= hi <= ${max} (got [${range.join(', ')}])`);
  }
}

function checkScalar(name: string, value: number, min: number, max: number): void {
  if (!(Number.isFinite(value) && value >= min && value <= max)) {
    throw new Error(`difficulty.${name} must be a number in [${min}, ${max}] (got ${value})`);
  }
}

/** Resolves a preset name or partial knobs (over the defaults) into validated knobs. */
export function resolveDifficulty(option: DifficultyOption = 'default'): Difficulty {
  if (typeof option === 'string') {
    const preset = DIFFICULTY_PRESETS[option];
    if (!preset) throw new Error(`unknown difficulty preset "${option}" (expected ${Object.keys(DIFFICULTY_PRESETS).join(', ')})`);
    return { ...preset };
  }
  for (const key of Object.keys(option)) {
    if (!(key in DEFAULT_DIFFICULTY)) throw new Error(`unknown difficulty knob "${key}" (expected ${Object.keys(DEFAULT_DIFFICULTY).join(', ')})`);
  }
  const knobs: Difficulty = { ...DEFAULT_DIFFICULTY, ...option };
  checkScalar('stainFaultRate', knobs.stainFaultRate, 0, 1);
  checkScalar('overDecolorisation', knobs.overDecolorisation, 0, 1);
  checkScalar('underDecolorisation', knobs.underDecolorisation, 0, 1);
  checkRange('organismDensity', knobs.organismDensity, 0.001, 20);
  checkScalar('hostCells', knobs.hostCells, 0, 10);
  checkScalar('debris', knobs.debris, 0, 10);
  checkScalar('mimicDebris', knobs.mimicDebris, 0, 1);
  checkScalar('backgroundTexture', knobs.backgroundTexture, 0, 3);
  checkRange('focusBlurUm', knobs.focusBlurUm, 0, 2);
  checkScalar('unevenLight', knobs.unevenLight, 0, 0.9);
  checkScalar('colourCast', knobs.colourCast, 0, 2);
  checkScalar('sensorNoise', knobs.sensorNoise, 0, 0.3);
  if (knobs.jpegQuality !== null) checkRange('jpegQuality', knobs.jpegQuality, 1, 100);
  checkScalar('cultureRate', knobs.cultureRate, 0, 1);
  checkScalar('tint', knobs.tint, 0, 2);
  checkRange('stainStrength', knobs.stainStrength, 0.05, 3);
  checkRange('organismSize', knobs.organismSize, 0.3, 3);
  checkRange('flare', knobs.flare, 0, 0.8);
  checkScalar('underExposure', knobs.underExposure, 0, 0.6);
  checkScalar('fullFrameRate', knobs.fullFrameRate, 0, 1);
  checkRange('vignetting', knobs.vignetting, 0, 0.9);
  checkScalar('scaleJitter', knobs.scaleJitter, 0, 1);
  return knobs;
}

/** Clinical-like class mix: GNR and staphylococci common, Neisseria-like GNC and yeast rare. */
export const CLINICAL_PREVALENCE: Readonly<Record<ClassId, number>> = {
  gpc_clusters: 0.2,
  gpc_chains: 0.12,
  gpc_diplococci: 0.07,
  gpr: 0.05,
  gnr: 0.28,
  gnc: 0.03,
  yeast: 0.04,
  no_bacteria: 0.13,
  polymicrobial: 0.08,
};

/** 'clinical' (default), 'balanced', or relative weights per class (missing classes get 0). */
export type PrevalenceOption = 'clinical' | 'balanced' | Partial<Record<ClassId, number>>;

/** Class probabilities summing to 1, in CLASS_IDS order. */
export function resolvePrevalence(option: PrevalenceOption = 'clinical'): Record<ClassId, number> {
  let weights: Partial<Record<string, number>>;
  if (option === 'clinical') weights = CLINICAL_PREVALENCE;
  else if (option === 'balanced') weights = Object.fromEntries(CLASS_IDS.map((id) => [id, 1]));
  else if (typeof option === 'object' && option !== null) weights = option;
  else throw new Error(`prevalence must be 'clinical', 'balanced' or weights per class (got ${JSON.stringify(option)})`);

  for (const [id, weight] of Object.entries(weights)) {
    classInfo(id);
    if (!(typeof weight === 'number' && Number.isFinite(weight) && weight >= 0)) {
      throw new Error(`prevalence weight of "${id}" must be a finite number >= 0 (got ${weight})`);
    }
  }
  const total = CLASS_IDS.reduce((sum, id) => sum + (weights[id] ?? 0), 0);
  if (total <= 0) throw new Error('prevalence weights must not all be zero');
  return Object.fromEntries(CLASS_IDS.map((id) => [id, (weights[id] ?? 0) / total])) as Record<ClassId, number>;
}

/** Splits n items over the classes in proportion to prevalence (largest remainder, exact total). */
export function allocateCounts(n: number, prevalence: Record<ClassId, number>): Record<ClassId, number> {
  const exact = CLASS_IDS.map((id) => n * prevalence[id]);
  const counts = exact.map(Math.floor);
  let missing = n - counts.reduce((a, b) => a + b, 0);
  const byRemainder = CLASS_IDS.map((_, i) => i).sort((a, b) => exact[b] - counts[b] - (exact[a] - counts[a]) || a - b);
  for (const i of byRemainder) {
    if (missing <= 0) break;
    counts[i]++;
    missing--;
  }
  return Object.fromEntries(CLASS_IDS.map((id, i) => [id, counts[i]])) as Record<ClassId, number>;
}

/** Default physical scale: a 1 µm coccus spans ~9 px, so a 96 px tile covers ~10.7 µm. */
export const DEFAULT_PX_PER_UM = 9;

export function checkPxPerUm(pxPerUm: number): void {
  if (!(Number.isFinite(pxPerUm) && pxPerUm >= 2 && pxPerUm <= 40)) {
    throw new Error(`pxPerUm must be a number between 2 and 40 pixels per micrometre (got ${pxPerUm})`);
  }
}

export function checkSize(name: string, value: number, max: number): void {
  if (!(Number.isInteger(value) && value > 0 && value <= max)) {
    throw new Error(`${name} must be a positive integer <= ${max} (got ${value})`);
  }
}
