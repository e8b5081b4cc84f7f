export { detectFieldOfView, type FieldOfView } from './fov.ts';
export {
  EXPECTED_OBJECT_WIDTH_UM,
  QUALITY_THRESHOLDS,
  assessQuality,
  type QualityMeasures,
  type QualityOptions,
  type QualityReason,
  type QualityReport,
  type QualityThresholds,
} from './quality.ts';
export { measureObjectScale, type ObjectScale } from './objects.ts';
export {
  DEGRADATIONS,
  DEGRADATION_LEVELS,
  measureQualityGate,
  type Degradation,
  type GateCase,
  type GateOptions,
  type GateRates,
} from './calibrate.ts';
export {
  MIN_STAINED_FRACTION,
  isBackgroundTile,
  stainedFraction,
  tileField,
  type BackgroundTileOptions,
  type Rgb,
  type Tile,
  type TiledField,
  type TileFieldOptions,
} from './tiles.ts';
export { labToRgb, rgbToLab, type RgbPixels, type Vec3 } from './colour.ts';
export {
  estimateMacenkoStains,
  estimateReinhardStats,
  macenkoNormalise,
  reinhardNormalise,
  type MacenkoOptions,
  type ReinhardStats,
  type StainBasis,
} from './stain.ts';
export { decodePhoto, processPhoto, type PhotoTile, type ProcessedPhoto, type ProcessPhotoOptions } from './photo.ts';
export {
  aggregateTiles,
  detectMultipleMorphotypes,
  type AggregateOptions,
  type MorphotypeOptions,
  type MorphotypePresence,
  type TileProbabilities,
} from './aggregate.ts';
