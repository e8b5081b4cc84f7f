export interface EpochRecord {
  epoch: number;
  learningRate: number;
  loss: number;
  accuracy: number;
  valLoss: number;
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
