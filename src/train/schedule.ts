import type { TrainConfig } from './config.ts';

/**
 * Learning rate at a global step: linear warm-up over `warmupEpochs`, then constant, cosine decay
 * to 1% of the base rate, or a step decay (×0.1 at 50% and 75% of training).
 */
export function learningRateAt(
  config: Pick<TrainConfig, 'learningRate' | 'schedule' | 'warmupEpochs'>,
  step: number,
  stepsPerEpoch: number,
  totalSteps: number,
): number {
  const base = config.learningRate;
  const warmupSteps = Math.round(config.warmupEpochs * stepsPerEpoch);
  if (step < warmupSteps) return (base * (step + 1)) / warmupSteps;
  const progress = totalSteps > warmupSteps ? (step - warmupSteps) / (totalSteps - warmupSteps) : 1;
  switch (config.schedule) {
    case 'constant':
      return base;
    case 'cosine': {
      const floor = 0.01 * base;
      return floor + 0.5 * (base - floor) * (1 + Math.cos(Math.PI * Math.min(1, progress)));
    }
    case 'step':
      return progress < 0.5 ? base : progress < 0.75 ? base * 0.1 : base * 0.01;
  }
}

/**
 * fastai's discriminative learning rates: the factor of each parameter group's rate, spaced
 * geometrically from 1/ratio for group 0 (the earliest layers) to 1 for the last (the head).
 */
export function discriminativeRates(groups: number, ratio: number): number[] {
  if (groups === 1) return [1];
  return Array.from({ length: groups }, (_, g) => ratio ** -((groups - 1 - g) / (groups - 1)));
}

/** Where a fine-tuning run is at a global step: the learning rate and the factor of each parameter group. */
export interface FineTuneStep {
  learningRate: number;
  groupRates: number[];
}

/**
 * Fine-tuning in two phases: for `freezeEpochs` only the last group (the new head) trains; then
 * every group does, at its discriminative rate, but the first `frozenGroups`, which never train. The schedule (warm-up, then constant, cosine or
 * step) runs over each phase, so it starts again when the pretrained groups unfreeze.
 */
export function fineTuneStepAt(
  config: Pick<TrainConfig, 'learningRate' | 'schedule' | 'warmupEpochs' | 'freezeEpochs' | 'layerRateRatio'> & Partial<Pick<TrainConfig, 'frozenGroups'>>,
  groups: number,
  step: number,
  stepsPerEpoch: number,
  totalSteps: number,
): FineTuneStep {
  const frozenSteps = Math.min(config.freezeEpochs * stepsPerEpoch, totalSteps);
  if (step < frozenSteps) {
    return { learningRate: learningRateAt(config, step, stepsPerEpoch, frozenSteps), groupRates: Array.from({ length: groups }, (_, g) => (g === groups - 1 ? 1 : 0)) };
  }
  const frozenGroups = config.frozenGroups ?? 0;
  const groupRates = discriminativeRates(groups, config.layerRateRatio).map((rate, g) => (g < frozenGroups ? 0 : rate));
  return { learningRate: learningRateAt(config, step - frozenSteps, stepsPerEpoch, totalSteps - frozenSteps), groupRates };
}
