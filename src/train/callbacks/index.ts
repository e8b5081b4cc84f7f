export { BestWeights } from './best-weights.ts';
export { Cancellation } from './cancellation.ts';
export { Checkpointing } from './checkpointing.ts';
export { EarlyStopping } from './early-stopping.ts';
export { FineTuneSchedule } from './fine-tune.ts';
export { LearningRateSchedule } from './learning-rate.ts';
export { Progress } from './progress.ts';
export { WeightAveraging, firstAveragedEpoch } from './weight-averaging.ts';
