export { loadBundle, type Inference, type InferOptions, type LoadBundleOptions, type ModelBundle, type PhotoReading, type Runtime } from './bundle.ts';
export { refusedImage, type AnsweredImage, type ImagePrediction, type RefusedImage } from './prediction.ts';
export { WHOLE_FIELD_FACTOR, type PhotoRoute } from './input-check.ts';
export type { ExplainImageOptions, ImageExplanation, PhotoWithHeatmap } from './explain.ts';
export { renderHeatmapOverPhoto, visibleRegion, type HeatmapOverPhotoOptions } from './heatmap-photo.ts';
export {
  DEFAULT_BACKGROUND_CLASS,
  DEFAULT_MIXED_CLASS,
  FieldUnsupportedError,
  type FieldPredictOptions,
  type FieldPrediction,
  type FieldPredictor,
  type FieldPredictorOptions,
  type FieldTile,
  type FieldTimings,
} from './field-predictor.ts';
export { BACKGROUND_TILE_ALPHA, BACKGROUND_TILE_COLOUR, TILE_PALETTE, classColours, tileOwners, type FieldLayer } from './field-layers.ts';
export { BundlePredictor } from './serving.ts';
export {
  evaluateBundleFields,
  fieldMetrics,
  fitBundleFieldDecision,
  fitBundleFieldSignature,
  type FieldEvaluation,
  type FieldOutcome,
  type FitBundleDecisionOptions,
  type LabelledPhoto,
} from './field-evaluation.ts';
export { judgePhoto, summarisePhotos, type PhotoSetSummary, type PhotoVerdict } from './real-photos.ts';
