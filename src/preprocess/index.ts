/**
 * One decoded image to the model's input, as in training: stain normalisation (Reinhard, Macenko)
 * and mean/std normalisation, plus the training-side stain reference. No Node APIs, so that a
 * browser can run it.
 */
export { modelInput, normaliseInPlace, type Normalisation } from './model-input.ts';
export {
  MAX_STAIN_GAIN,
  STAIN_METHODS,
  checkStainNormalisation,
  estimateMacenkoStains,
  estimateReinhardStats,
  estimateStainReference,
  macenkoNormalise,
  normaliseStainFor,
  reinhardNormalise,
  type MacenkoOptions,
  type ReinhardStats,
  type StainBasis,
  type StainMethod,
  type StainNormalisation,
} from './stain.ts';
export { STAIN_REFERENCE_IMAGES, normaliseSetStains, stainNormalisationOf, stainReferenceOf, type PackedPixels } from './stain-reference.ts';
export { labToRgb, rgbToLab, type RgbPixels, type Vec3 } from './colour.ts';
export { quantile } from './quantile.ts';
export { UPLOAD_MAX_SIDE, UPLOAD_SCALE_MARGIN, uploadScale, type UploadScaleInput } from './upload-scale.ts';
