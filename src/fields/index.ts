export { detectFieldOfView, type FieldOfView } from './fov.ts';
export { assessQuality, type QualityMeasures, type QualityOptions, type QualityReason, type QualityReport, type QualityThresholds } from './quality.ts';
export { type ObjectScale } from './objects.ts';
export { isBackgroundTile, stainedFraction, tileField, type BackgroundTileOptions, type Rgb, type Tile, type TiledField, type TileFieldOptions } from './tiles.ts';
export { decodePhoto, processPhoto, type PhotoTile, type ProcessedPhoto, type ProcessPhotoOptions } from './photo.ts';
export { DEFAULT_FIELD_DECISION, aggregateTiles, decideField, detectMultipleMorphotypes, fitFieldDecision, scoreFieldDecision, type AggregateOptions, type FieldDecision, type FieldDecisionOptions, type FieldDecisionParams, type FieldDecisionScore, type FieldDecisionSearch, type FittedFieldDecision, type LabelledField, type MorphotypeOptions, type MorphotypePresence, type TileProbabilities } from './aggregate.ts';
export { combineFields, type SpecimenDecision, type SpecimenMorphotype, type SpecimenOptions } from './specimen.ts';
