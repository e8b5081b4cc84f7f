import { createRng, type Rng } from '../util/index.ts';
import { labToRgb } from '../preprocess/index.ts';
import { classInfo, isMorphotype, type ClassId, type Morphotype } from './classes.ts';
import { DEVICES } from './devices.ts';
import { resolveDifficulty, type Difficulty, type DifficultyOption, type Range } from './options.ts';
import { inRange, logUniform, weightedPick } from './sampling.ts';
import type { Rgb } from './stain.ts';

export type SpecimenType = 'blood_culture' | 'sputum' | 'urine' | 'csf' | 'wound' | 'swab' | 'culture';
export type StainQuality = 'good' | 'over_decolorised' | 'under_decolorised' | 'thick';

/** Strain-level look of one morphotype on a slide. */
export interface MorphotypeTraits {
  /** Sub-type, e.g. 'large' / 'small' rods, 'budding' / 'pseudohyphae' yeast. */
  variant: string;
  /** Multiplier on cell size. */
  sizeScale: number;
  /** Typical number of cells (or rods) in a group: cluster size, chain length, palisade width. */
  groupSize: number;
}

export interface SpecimenOrganism {
  morphotype: Morphotype;
  /** Relative abundance among the organisms of the specimen. */
  weight: number;
  traits: MorphotypeTraits;
}

/**
 * One patient's slide: what is on it and how it was stained and photographed. Every field and tile
 * of a patient shares it. All randomness of the difficulty knobs is resolved here or in FieldConditions.
 */
export interface Specimen {
  label: ClassId;
  organisms: SpecimenOrganism[];
  specimenType: SpecimenType;
  stain: StainQuality;
  /** 0..1: share of Gram-positive cells turned pink (over-decolorised), violet shift of Gram-negatives (under), smear thickness (thick). */
  faultSeverity: number;
  /** Share of Gram-positive cells that stain pink even on a good slide (old or damaged cells). */
  gramVariable: number;
  device: string;
  /** 0 = neutral camera, 1 = the device's full colour cast. */
  castStrength: number;
  /** Lamp colour (per-channel gain). */
  lamp: Rgb;
  /** Organism groups per 100 µm². */
  organismDensity: number;
  /** Host cells per 1000 µm². */
  hostCells: { neutrophil: number; squamous: number; redCell: number };
  /** Debris particles per 100 µm². */
  debrisDensity: number;
  /** Share of debris that mimics organisms. */
  mimicDebris: number;
  backgroundTexture: number;
  /** Prominence 0..1 of the clear capsule halo around pneumococci. */
  capsule: number;
  /** Seed of the slide's background textures. */
  seed: number;
  /** Tint of the microscope's light per channel (lamp, filter, white balance); absent: none. */
  tint?: Rgb;
  /** Multiplier on every optical density of the slide (faint or strong stain); absent: 1. */
  stainStrength?: number;
  /** Multiplier on the thin film of stained protein between the cells (thin on culture smears); absent: 1. */
  film?: number;
}

/** Per-field photographic conditions. */
export interface FieldConditions {
  /** Local multiplier on the specimen's organism density. */
  densityFactor: number;
  /** Gaussian focus blur sigma in µm. */
  blurUm: number;
  exposure: number;
  unevenLight: number;
  sensorNoise: number;
  jpegQuality: number | null;
  seed: number;
  /** Veiling glare: share of the glass brightness added everywhere; absent: 0. */
  flare?: number;
  /** Brightness fall-off from the centre to the edge of the field stop; absent: 0.22. */
  vignetting?: number;
  /** Cropped inside the field stop: the field stop's radius over the photo's half-diagonal (> 1, no eyepiece circle in view); absent: the circle is in view. */
  fieldStopRatio?: number;
  /** The field's true scale over the declared one (scale jitter); absent: 1. */
  scale?: number;
}

interface SpecimenProfile {
  neutrophil: Range;
  squamous: Range;
  redCell: Range;
  debris: Range;
  texture: Range;
}

const SPECIMEN_PROFILES: Record<SpecimenType, SpecimenProfile> = {
  blood_culture: { neutrophil: [0.1, 0.6], squamous: [0, 0], redCell: [1, 5], debris: [0.3, 1], texture: [0.2, 0.6] },
  sputum: { neutrophil: [1, 4], squamous: [0.02, 0.12], redCell: [0, 0.5], debris: [0.5, 1.5], texture: [0.7, 1.3] },
  urine: { neutrophil: [0.2, 2], squamous: [0.01, 0.06], redCell: [0, 2], debris: [0.3, 1], texture: [0.1, 0.4] },
  csf: { neutrophil: [0.3, 2.5], squamous: [0, 0], redCell: [0, 1.5], debris: [0.1, 0.4], texture: [0.1, 0.3] },
  wound: { neutrophil: [1, 5], squamous: [0, 0.03], redCell: [0, 2], debris: [0.8, 2], texture: [0.5, 1.1] },
  swab: { neutrophil: [0.5, 3], squamous: [0.05, 0.2], redCell: [0, 1], debris: [0.4, 1.2], texture: [0.4, 0.9] },
  // A smear of colonies in saline: organisms only, a little precipitate, almost no protein film.
  culture: { neutrophil: [0, 0], squamous: [0, 0], redCell: [0, 0], debris: [0.03, 0.3], texture: [0, 0.08] },
};

/** Film thickness of culture smears (a clinical specimen's is 1). */
const CULTURE_FILM: Range = [0.02, 0.3];

/**
 * Hues (CIE Lab a*, b* at full tint strength) of the glass under different microscopes and
 * cameras: lilac and lavender (blue filter, cool LED, phone white balance), blue, neutral grey,
 * pink, and the pale yellow of a halogen lamp.
 */
const GLASS_TINTS: readonly (readonly [number, number])[] = [
  [16, -28],
  [10, -20],
  [4, -14],
  [-2, -10],
  [0, 0],
  [-4, 4],
  [10, 2],
  [14, -6],
  [-5, 18],
  [-8, 20],
  [-8, 14],
  [-6, 12],
  [2, 24],
];

/** Per-channel gains that turn white glass into a tinted one (Lab a*, b* scaled by strength, at L* 90). */
function tintGains(rng: Rng, strength: number): Rgb {
  const [a, b] = rng.pick(GLASS_TINTS);
  const k = strength * rng.uniform(0.3, 1.15);
  const jitter = (): number => 4 * strength * rng.normal();
  const rgb = labToSrgb(90, a * k + jitter(), b * k + jitter());
  const white = labToSrgb(90, 0, 0);
  // In linear light: the sensor sees lamp x filter before the tone curve.
  return [0, 1, 2].map((c) => toLinear(rgb[c]) / toLinear(white[c])) as unknown as Rgb;
}

function toLinear(v: number): number {
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

/** CIE Lab (D65) to sRGB 0..1, clamped. */
function labToSrgb(l: number, a: number, b: number): number[] {
  return labToRgb(l, a, b).map((v) => Math.min(1, Math.max(0, v)));
}

/** Where each class is plausibly seen. */
const SPECIMEN_TYPES_BY_CLASS: Record<ClassId, readonly SpecimenType[]> = {
  gpc_clusters: ['blood_culture', 'wound', 'sputum', 'swab'],
  gpc_chains: ['blood_culture', 'wound', 'sputum', 'swab', 'urine'],
  gpc_diplococci: ['sputum', 'csf', 'blood_culture'],
  gpr: ['wound', 'blood_culture', 'swab'],
  gnr: ['urine', 'blood_culture', 'sputum', 'wound'],
  gnc: ['csf', 'swab', 'sputum'],
  yeast: ['urine', 'sputum', 'blood_culture', 'swab'],
  no_bacteria: ['blood_culture', 'sputum', 'urine', 'csf', 'wound', 'swab'],
  polymicrobial: ['wound', 'sputum', 'swab', 'urine'],
};

const VARIANTS: Record<Morphotype, readonly string[]> = {
  gpc_clusters: ['staphylococcus'],
  gpc_chains: ['streptococcus', 'streptococcus', 'enterococcus'],
  gpc_diplococci: ['pneumococcus'],
  gpr: ['bacillus', 'clostridium', 'coryneform'],
  gnr: ['large', 'large', 'small'],
  gnc: ['neisseria'],
  yeast: ['budding', 'budding', 'pseudohyphae'],
};

const GROUP_SIZES: Record<string, Range> = {
  staphylococcus: [5, 18],
  streptococcus: [5, 14],
  enterococcus: [2.5, 5],
  pneumococcus: [2, 2],
  bacillus: [1.5, 4],
  clostridium: [1, 2.5],
  coryneform: [2, 5],
  large: [1, 2.5],
  small: [2, 4],
  neisseria: [1, 2],
  budding: [1, 3],
  pseudohyphae: [1, 2],
};

/** How often each morphotype joins a polymicrobial mix. */
const POLYMICROBIAL_WEIGHTS: Record<Morphotype, number> = {
  gnr: 3,
  gpc_chains: 2,
  gpc_clusters: 2,
  gpr: 2,
  yeast: 1,
  gnc: 0.5,
  gpc_diplococci: 0.5,
};

const STAIN_FAULTS: readonly StainQuality[] = ['over_decolorised', 'over_decolorised', 'under_decolorised', 'under_decolorised', 'thick'];

function sampleTraits(rng: Rng, morphotype: Morphotype): MorphotypeTraits {
  const variant = rng.pick(VARIANTS[morphotype]);
  return { variant, sizeScale: rng.uniform(0.88, 1.12), groupSize: inRange(rng, GROUP_SIZES[variant]) };
}

function sampleOrganisms(rng: Rng, label: ClassId): SpecimenOrganism[] {
  if (label === 'no_bacteria') return [];
  if (isMorphotype(label)) return [{ morphotype: label, weight: 1, traits: sampleTraits(rng, label) }];
  const count = rng.chance(0.3) ? 3 : 2;
  const pool = Object.keys(POLYMICROBIAL_WEIGHTS) as Morphotype[];
  const group = (m: Morphotype): string => classInfo(m).gramGroup;
  const chosen: Morphotype[] = [];
  while (chosen.length < count) {
    // The first two differ in Gram group: two kinds of Gram-positive cocci alone would read as one morphotype.
    const candidates = pool.filter((m) => !chosen.includes(m) && (chosen.length !== 1 || group(m) !== group(chosen[0])));
    chosen.push(weightedPick(rng, candidates, (m) => POLYMICROBIAL_WEIGHTS[m]));
  }
  return chosen.map((morphotype) => ({ morphotype, weight: rng.uniform(0.5, 1.5), traits: sampleTraits(rng, morphotype) }));
}

function sampleStain(rng: Rng, knobs: Difficulty): Pick<Specimen, 'stain' | 'faultSeverity'> {
  if (!rng.chance(knobs.stainFaultRate)) return { stain: 'good', faultSeverity: 0 };
  const stain = rng.pick(STAIN_FAULTS);
  const scale = stain === 'over_decolorised' ? knobs.overDecolorisation : stain === 'under_decolorised' ? knobs.underDecolorisation : 1;
  return { stain, faultSeverity: rng.uniform(0.3, 1) * scale };
}

export function sampleSpecimenWith(rng: Rng, label: ClassId, knobs: Difficulty): Specimen {
  classInfo(label);
  const organisms = sampleOrganisms(rng, label);
  // New knobs draw only when set, so the default difficulty keeps drawing exactly as before.
  const culture = knobs.cultureRate > 0 && rng.chance(knobs.cultureRate);
  const specimenType: SpecimenType = culture ? 'culture' : rng.pick(SPECIMEN_TYPES_BY_CLASS[label]);
  const profile = SPECIMEN_PROFILES[specimenType];
  const castStrength = knobs.colourCast * rng.uniform(0.5, 1.1);
  const warmth = rng.uniform(-1, 1) * castStrength;
  const specimen: Specimen = {
    label,
    organisms,
    specimenType,
    ...sampleStain(rng, knobs),
    gramVariable: knobs.stainFaultRate * 0.08,
    device: rng.pick(DEVICES).id,
    castStrength,
    lamp: [1 + 0.05 * warmth, 1, 1 - 0.09 * warmth],
    organismDensity: organisms.length === 0 ? 0 : logUniform(rng, knobs.organismDensity),
    hostCells: {
      neutrophil: inRange(rng, profile.neutrophil) * knobs.hostCells,
      squamous: inRange(rng, profile.squamous) * knobs.hostCells,
      redCell: inRange(rng, profile.redCell) * knobs.hostCells,
    },
    debrisDensity: inRange(rng, profile.debris) * knobs.debris,
    mimicDebris: knobs.mimicDebris,
    backgroundTexture: inRange(rng, profile.texture) * knobs.backgroundTexture,
    capsule: rng.uniform(0.3, 1),
    seed: rng.int(2 ** 31),
  };
  if (knobs.tint > 0) specimen.tint = tintGains(rng, knobs.tint);
  if (knobs.stainStrength[0] !== 1 || knobs.stainStrength[1] !== 1) specimen.stainStrength = logUniform(rng, knobs.stainStrength);
  if (culture) specimen.film = inRange(rng, CULTURE_FILM);
  if (varies(knobs.organismSize) || knobs.organismSize[0] !== 1) {
    const size = logUniform(rng, knobs.organismSize);
    for (const organism of specimen.organisms) organism.traits.sizeScale *= size;
  }
  return specimen;
}

const varies = ([lo, hi]: Range): boolean => lo !== hi;

export function sampleFieldConditionsWith(rng: Rng, knobs: Difficulty): FieldConditions {
  const [qualityLo, qualityHi] = knobs.jpegQuality ?? [0, 0];
  const field: FieldConditions = {
    densityFactor: Math.exp(0.35 * rng.normal()),
    blurUm: inRange(rng, knobs.focusBlurUm),
    exposure: rng.uniform(1 - 0.6 * knobs.unevenLight - knobs.underExposure, 1 + 0.15 * knobs.unevenLight),
    unevenLight: knobs.unevenLight * rng.uniform(0.5, 1.2),
    sensorNoise: knobs.sensorNoise * rng.uniform(0.6, 1.4),
    jpegQuality: knobs.jpegQuality === null ? null : Math.round(rng.uniform(qualityLo, qualityHi)),
    seed: rng.int(2 ** 31),
  };
  // New knobs draw only when set, after everything else, so the default difficulty draws exactly as before.
  if (varies(knobs.flare) || knobs.flare[0] > 0) field.flare = inRange(rng, knobs.flare);
  if (varies(knobs.vignetting) || knobs.vignetting[0] !== DEFAULT_VIGNETTING) field.vignetting = inRange(rng, knobs.vignetting);
  if (knobs.fullFrameRate > 0 && rng.chance(knobs.fullFrameRate)) field.fieldStopRatio = rng.uniform(1.1, 1.8);
  if (knobs.scaleJitter > 0) field.scale = Math.exp(rng.uniform(-Math.log(1 + knobs.scaleJitter), Math.log(1 + knobs.scaleJitter)));
  return field;
}

/** The eyepiece's fall-off when the vignetting knob is left at its default. */
export const DEFAULT_VIGNETTING = 0.22;

export interface SpecimenOptions {
  label: ClassId;
  seed: number;
  difficulty?: DifficultyOption;
}

/** Draws a patient's slide for a class: organisms, specimen type, stain quality, device. */
export function sampleSpecimen(options: SpecimenOptions): Specimen {
  return sampleSpecimenWith(createRng(options.seed), options.label, resolveDifficulty(options.difficulty));
}

/** Draws the photographic conditions of one field (focus, light, noise, JPEG quality). */
export function sampleFieldConditions(options: { seed: number; difficulty?: DifficultyOption }): FieldConditions {
  return sampleFieldConditionsWith(createRng(options.seed), resolveDifficulty(options.difficulty));
}
