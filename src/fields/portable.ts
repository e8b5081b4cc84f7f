/**
 * The field steps without Node APIs, for the web app's on-device reading (index.ts adds the photo
 * decoding by sharp and the decision fitting): the quality check, tiling at the model's scale,
 * the field decision, on decoded RGB pixels.
 */
export { processPixels, type PhotoTile, type ProcessedPhoto, type ProcessPhotoOptions } from './process.ts';
export { resampleRegion, type Region } from './resample.ts';
export { ENOUGH_OBJECTS } from './objects.ts';
export type { FieldOfView } from './fov.ts';
export type { QualityMeasures, QualityReason } from './quality.ts';
export {
  DEFAULT_FIELD_DECISION,
  decideField,
  groupsFromTree,
  type FieldDecision,
  type FieldDecisionOptions,
  type TileClassCount,
} from './decision.ts';
export { combineFields, type SpecimenDecision } from './specimen.ts';
export { fieldUncertain } from './referral.ts';
