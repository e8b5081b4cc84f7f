export { explain, explainBatch, type ClassRef, type ExplainOptions, type ExplainBatchOptions, type Explanation } from './explain.ts';
export { activationsAndGradients, resolveTargetLayer, type ActivationsAndGradients } from './graph.ts';
export { gradCamWeights, gradCamPlusPlusWeights, hiResCamMap, weightedActivationMap } from './methods.ts';
export { camFromFeatures } from './cam.ts';
export { gapDenseKernel, hasGapDenseHead } from './fast.ts';
export { upsampleBilinear, normaliseHeatmap, heatmapToJson, heatmapToFloat32Bytes, type HeatmapJson } from './heatmap.ts';
export { applyColourMap, COLOUR_MAPS, COLOUR_MAP_NAMES, type ColourMapName } from './colour-map.ts';
export { overlayHeatmap, renderOverlayPng, type RgbImage, type OverlayOptions, type OverlayPngOptions } from './render.ts';
export {
  pointingGame,
  energyInMask,
  deletionCurve,
  insertionCurve,
  trapezoidArea,
  pixelOrder,
  gaussianBlur,
  meanColourImage,
  type ObjectMask,
  type MaskOptions,
  type PointingResult,
  type FloatImage,
  type PredictFn,
  type CurveOptions,
  type PerturbationCurve,
} from './faithfulness.ts';
export { CAM_METHODS, type CamMethod, type FeatureMaps, type Heatmap } from './types.ts';
