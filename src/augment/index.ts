export { flipHorizontal, flipVertical, rotate, rotate90, shift, warpAffine, zoom, type InverseAffine } from './geometry.ts';
export { addGaussianNoise, adjustBrightness, adjustContrast, adjustGamma, channelMeans, cutout, type Rect } from './intensity.ts';
export { gaussianBlur, gaussianKernel } from './blur.ts';
export { GRAM_SAFE_LIMITS, colourJitter, type ColourJitterAmounts } from './colour.ts';
export { compose, randomBrightness, randomFlipHorizontal, randomGramSafeColourJitter, randomRotate90, type Pipeline, type PipelineStep, type StepDescription, type Transform } from './pipeline.ts';
export { AUGMENT_PRESETS, DEFAULT_AUGMENT_CONFIG, augmentPipeline, type AugmentConfig, type AugmentPresetName } from './config.ts';
export { composeViews, ttaViewsFor, viewOfBatch, type TtaView } from './tta.ts';
