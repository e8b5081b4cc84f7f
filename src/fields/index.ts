export { detectFieldOfView, type FieldOfView } from './fov.ts';
export { PLAUSIBLE_PX_PER_UM, TYPICAL_FIELD_UM, assessQuality, estimateScale, type ScaleEstimateOptions, type ScaleBasis, type ScaleEstimate, type QualityMeasures, type QualityOptions, type QualityReason, type QualityReport, type QualityThresholds } from './quality.ts';
export { ENOUGH_OBJECTS, measureObjectScale, type ObjectScale } from './objects.ts';
export { isBackgroundTile, stainedFraction, tileField, type BackgroundTileOptions, type Rgb, type Tile, type TiledField, type TileFieldOptions } from './tiles.ts';
export { decodePhoto, processPhoto } from './photo.ts';
export { processPixels, type PhotoTile, type ProcessedPhoto, type ProcessPhotoOptions } from './process.ts';
export { aggregateTiles, type AggregateOptions, type TileProbabilities } from './aggregate.ts';
export {
  DEFAULT_FIELD_DECISION,
  decideField,
  groupsFromTree,
  type FieldDecision,
  type FieldDecisionOptions,
  type FieldFinding,
  type TileClassCount,
} from './decision.ts';
export {
  fitFieldDecision,
  scoreFieldDecision,
  scoredClass,
  type FieldDecisionScore,
  type FieldDecisionSearch,
  type FittedFieldDecision,
  type LabelledField,
} from './fit-decision.ts';
export { combineFields, type SpecimenDecision, type SpecimenMorphotype, type SpecimenOptions } from './specimen.ts';
export { DEFAULT_FIELD_REFERRAL_TARGET, fieldUncertain, fitFieldReferral, type ReferralSample } from './referral.ts';
