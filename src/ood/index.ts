/**
 * What a model cannot read: cheap image checks (blank, noise, greyscale, dark, colours no stain
 * makes) and an out-of-distribution score on the model's own embedding (squared Mahalanobis distance
 * to the nearest class mean under a shared covariance), with its threshold chosen on validation.
 * Pure functions, no Node APIs.
 */
export { averagePool, type FeatureMap } from './embedding.ts';
export { symmetricEigen, type Eigen } from './eigen.ts';
export { EmbeddingScorer, fitEmbeddingStatistics, type EmbeddingStatistics, type FitEmbeddingOptions } from './mahalanobis.ts';
export { hueOf, measureImage, OFF_STAIN_HUES, type Disc, type ImageMeasures } from './image-measures.ts';
export { IMAGE_CHECK_LIMITS, IMAGE_CHECK_REASONS, IMAGE_CHECKS, UNIVERSAL_CHECKS, failedImageCheck, type ImageCheck } from './image-checks.ts';
export {
  DEFAULT_REFUSAL_TARGET,
  REFUSAL_PREFIX,
  UNFAMILIAR_REFUSAL,
  fieldTileRefusal,
  imageCheckRefusal,
  refusalMessage,
  thresholdForRefusal,
  type OodStatistics,
} from './refusal.ts';
