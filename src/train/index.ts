export { trainClassifier, predictLogits, logitsModelOf, type TrainOptions, type TrainResult, type StepRunnerContext } from './trainer.ts';
export type { TrainCallback, TrainLoop, TrainStatus, StepEnd, EpochEnd } from './loop.ts';
export { BatchBuilder, LocalStepRunner, createOptimizer, saveOptimizerState, restoreOptimizerState, setLearningRate, batchLoss, countCorrect, type StepRunner, type StepResult, type LossInputs } from './step.ts';
export { resolveTrainConfig, DEFAULT_TRAIN_CONFIG, type TrainConfig } from './config.ts';
export { learningRateAt } from './schedule.ts';
export { setCrossEntropy, setNegativeLogLikelihood, labelMasks, type CoarseSets } from './set-loss.ts';
export { computeNormalisation, subsetImageSet, readImage, normaliseInPlace, type ImageSet, type Normalisation } from './dataset.ts';
export { loadCheckpoint, type Checkpoint } from './checkpoint.ts';
export type { EpochRecord, TrainProgress } from './history.ts';
