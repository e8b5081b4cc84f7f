export { trainClassifier, predictLogits, type Augmenter, type AugmentableImage, type TrainOptions, type TrainResult } from './trainer.ts';
export { resolveTrainConfig, DEFAULT_TRAIN_CONFIG, type TrainConfig } from './config.ts';
export { learningRateAt } from './schedule.ts';
export { computeNormalisation, subsetImageSet, type ImageSet, type Normalisation } from './dataset.ts';
export { loadCheckpoint, type Checkpoint } from './checkpoint.ts';
export type { EpochRecord, TrainProgress } from './history.ts';
