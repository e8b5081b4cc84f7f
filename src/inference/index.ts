export { loadBundle, type LoadBundleOptions, type ModelBundle, type PhotoReading, type Runtime } from './bundle.ts';
export type { Inference, InferOptions } from './infer.ts';
export { refusedImage, type AnsweredImage, type ImagePrediction, type RefusedImage } from './prediction.ts';
export { WHOLE_FIELD_FACTOR, type PhotoRoute } from './guard.ts';
export type { ExplainImageOptions, ImageExplanation, PhotoWithHeatmap } from './explain.ts';
export { renderHeatmapOverPhoto, type HeatmapOverPhotoOptions } from './heatmap-photo.ts';
export { visibleRegion } from './heatmap-layer.ts';
export { DEFAULT_BACKGROUND_CLASS, DEFAULT_MIXED_CLASS } from './field-classes.ts';
export { FieldUnsupportedError, type FieldPredictOptions, type FieldTile, type FieldTimings } from './field-reading.ts';
export type { FieldLayer, FieldPrediction, FieldPredictor, FieldPredictorOptions } from './field-predictor.ts';
export { BACKGROUND_TILE_ALPHA, BACKGROUND_TILE_COLOUR, TILE_PALETTE, classColours, tileOwners } from './field-layers.ts';
export { BundlePredictor } from './serving.ts';
export {
  evaluateBundleFields,
  fieldMetrics,
  fitBundleFieldDecision,
  fitBundleFieldReferral,
  fitBundleFieldSignature,
  type FieldEvaluation,
  type FieldOutcome,
  type FitBundleDecisionOptions,
  type LabelledPhoto,
} from './field-evaluation.ts';
export { judgePhoto, summarisePhotos, type PhotoSetSummary, type PhotoVerdict } from './real-photos.ts';
