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
