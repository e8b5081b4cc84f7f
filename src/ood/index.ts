/**
 * What a model cannot read: cheap image checks (blank, noise, greyscale, dark, colours no stain
 * makes) and two out-of-distribution scores, on the model's own embedding (squared Mahalanobis
 * distance to the nearest class mean under a shared covariance) and on the image's colour signature,
 * with their thresholds chosen on validation; for whole fields, a signature of the field as a whole.
 * Pure functions, no Node APIs.
 */
export { averagePool, type FeatureMap } from './embedding.ts';
export { HUE_BINS, colourSignature } from './colour-signature.ts';
export {
  FIELD_SIGNATURE_MARGIN,
  UNLIKE_FIELDS_REFUSAL,
  fieldSignatureDistance,
  fieldSignatureRefusal,
  fitFieldSignature,
  type FieldSignature,
  type FieldSignatureStatistics,
} from './field-signature.ts';
export { symmetricEigen, type Eigen } from './eigen.ts';
export { EmbeddingScorer, fitEmbeddingStatistics, type EmbeddingStatistics, type FitEmbeddingOptions } from './mahalanobis.ts';
export { hueOf, inkMeasures, measureImage, OFF_STAIN_HUES, type Disc, type ImageMeasures, type Overview } from './image-measures.ts';
export { IMAGE_CHECK_LIMITS, IMAGE_CHECK_REASONS, IMAGE_CHECKS, LATER_IMAGE_CHECKS, UNIVERSAL_CHECKS, failedImageCheck, type ImageCheck } from './image-checks.ts';
export {
  DEFAULT_REFUSAL_TARGET,
  IMAGE_CHECK_TOLERANCE,
  REFUSAL_CODES,
  REFUSAL_PREFIX,
  UNFAMILIAR_COLOURS_REFUSAL,
  UNFAMILIAR_REFUSAL,
  fieldTileRefusal,
  imageCheckRefusal,
  qualityRefusal,
  refusalMessage,
  thresholdForRefusal,
  type OodStatistics,
  type ScoreStatistics,
} from './refusal.ts';
