export {
  CLASS_IDS,
  CLASSES,
  LABEL_TREE,
  MASK_LABELS,
  MORPHOTYPE_GROUPS,
  MORPHOTYPES,
  classInfo,
  isClassId,
  isMorphotype,
  isOrganismMaskValue,
  maskValueOf,
  type ClassId,
  type ClassInfo,
  type GramGroup,
  type GramReaction,
  type MaskLabel,
  type Morphotype,
} from './classes.ts';
export {
  CLEAN_DIFFICULTY,
  CLINICAL_PREVALENCE,
  DEFAULT_DIFFICULTY,
  DEFAULT_PX_PER_UM,
  DIFFICULTY_PRESETS,
  HARD_DIFFICULTY,
  REALISTIC_DIFFICULTY,
  allocateCounts,
  resolveDifficulty,
  resolvePrevalence,
  type Difficulty,
  type DifficultyOption,
  type PrevalenceOption,
  type Range,
} from './options.ts';
export {
  sampleFieldConditions,
  sampleSpecimen,
  type FieldConditions,
  type MorphotypeTraits,
  type Specimen,
  type SpecimenOptions,
  type SpecimenOrganism,
  type SpecimenType,
  type StainQuality,
} from './specimen.ts';
export { type DeviceProfile } from './devices.ts';
export type { Eyepiece } from './optics.ts';
export type { ObjectAnnotation } from './scene.ts';
export type { ObjectKind } from './objects.ts';
export { DEFAULT_FIELD_HEIGHT, DEFAULT_FIELD_WIDTH, generateField, generateTile, type FieldOptions, type RenderOptions, type SynthField, type SynthImage, type TileOptions } from './generate.ts';
export {
  MANIFEST_COLUMNS,
  SYNTH_FORMAT_VERSION,
  datasetRecipeStatus,
  syntheticDatasetStatus,
  writeSyntheticDataset,
  type ProgressCallback,
  type SyntheticDatasetOptions,
  type SyntheticDatasetStatus,
  type SyntheticDatasetSummary,
} from './dataset.ts';
