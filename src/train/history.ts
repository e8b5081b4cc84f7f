export interface EpochRecord {
  epoch: number;
  learningRate: number;
  loss: number;
  /** Training images whose predicted class agrees with their label (lies under it, for a coarse label). */
  accuracy: number;
  /** Over every validation image; the set loss for coarse labels. */
  valLoss: number;
  /** Over the validation images labelled with a class (coarse labels left out), as is the balanced accuracy. */
  valAccuracy: number;
  valBalancedAccuracy: number;
  seconds: number;
}

export type TrainProgress =
  | {
      kind: 'step';
      epoch: number;
      epochs: number;
      step: number;
      stepsPerEpoch: number;
      loss: number;
      accuracy: number;
      imagesPerSecond: number;
      etaSeconds: number;
    }
  | { kind: 'epoch'; record: EpochRecord; improved: boolean; epochs: number }
  | { kind: 'checkpoint'; epoch: number; step: number }
  | { kind: 'resumed'; epoch: number; step: number };
