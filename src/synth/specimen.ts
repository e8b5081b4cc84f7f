import { createRng, type Rng } from '../util/index.ts';
import { classInfo, isMorphotype, type ClassId, type Morphotype } from './classes.ts';
import { DEVICES } from './devices.ts';
import { resolveDifficulty, type Difficulty, type DifficultyOption, type Range } from './options.ts';
import { inRange, logUniform, weightedPick } from './sampling.ts';
import type { Rgb } from './stain.ts';

export type SpecimenType = 'blood_culture' | 'sputum' | 'urine' | 'csf' | 'wound' | 'swab';
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
};

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
  const specimenType = rng.pick(SPECIMEN_TYPES_BY_CLASS[label]);
  const profile = SPECIMEN_PROFILES[specimenType];
  const castStrength = knobs.colourCast * rng.uniform(0.5, 1.1);
  const warmth = rng.uniform(-1, 1) * castStrength;
  return {
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
}

export function sampleFieldConditionsWith(rng: Rng, knobs: Difficulty): FieldConditions {
  const [qualityLo, qualityHi] = knobs.jpegQuality ?? [0, 0];
  return {
    densityFactor: Math.exp(0.35 * rng.normal()),
    blurUm: inRange(rng, knobs.focusBlurUm),
    exposure: rng.uniform(1 - 0.6 * knobs.unevenLight, 1 + 0.15 * knobs.unevenLight),
    unevenLight: knobs.unevenLight * rng.uniform(0.5, 1.2),
    sensorNoise: knobs.sensorNoise * rng.uniform(0.6, 1.4),
    jpegQuality: knobs.jpegQuality === null ? null : Math.round(rng.uniform(qualityLo, qualityHi)),
    seed: rng.int(2 ** 31),
  };
}

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
