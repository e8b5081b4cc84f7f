import type * as tfl from '@tensorflow/tfjs-layers';
import type { AugmentConfig, AugmentPresetName } from '../../augment/index.ts';
import type { BackendChoice } from '../../engine/index.ts';
import type { ParameterGroups, SerializedWeights } from '../../models/index.ts';
import type { TrainConfig } from '../config.ts';
import type { Normalisation } from '../dataset.ts';
import type { LossInputs } from '../step.ts';

/** Everything a worker needs to build its replica; sent once, as workerData. */
export interface WorkerSetup {
  /** URL of the worker module the bootstrap imports. */
  entry: string;
  backend: BackendChoice;
  /** The model's topology (LayersModel.toJSON), so the replica has the same architecture. */
  topology: ModelTopology;
  weights: SerializedWeights;
  /** Shapes of the exchanged tensors, to check the replica lines up with the main model. */
  layout: ExchangeLayout;
  trainableOrder: number[];
  groups?: ParameterGroups;
  optimizer: Pick<TrainConfig, 'optimizer' | 'learningRate' | 'momentum'>;
  images: SharedArrayBuffer;
  imagesType: 'uint8' | 'float32';
  shape: [number, number, number, number];
  labels: SharedArrayBuffer;
  normalisation: Normalisation;
  augment?: AugmentConfig | AugmentPresetName;
  loss: LossInputs;
  batchSize: number;
  /** This worker's gradients and batch-norm statistics, written after each part. */
  exchange: SharedArrayBuffer;
  /** The averaged update, written by the main thread, read by every worker. */
  update: SharedArrayBuffer;
}

export type ModelTopology = Parameters<typeof tfl.models.modelFromJSON>[0];

/** Trainable weight shapes, then non-trainable (batch-norm statistics) shapes, in the model's order. */
export interface ExchangeLayout {
  trainable: number[][];
  nonTrainable: number[][];
}

export type MainMessage =
  | { kind: 'step'; id: number; indices: Int32Array; seed: number; groupRates?: readonly number[] }
  | { kind: 'apply'; learningRate: number; groupRates?: readonly number[] }
  | { kind: 'load'; id: number; weights: SerializedWeights; optimizer: SerializedWeights }
  | { kind: 'checksum'; id: number };

export type WorkerMessage =
  | { kind: 'ready' }
  | { kind: 'done'; id: number; value: unknown }
  | { kind: 'failed'; message: string };

export interface PartResult {
  /** Mean loss over the part (class-weighted as in batchLoss). */
  loss: number;
  correct: number;
}

export function layoutSize(shapes: number[][]): number {
  return shapes.reduce((sum, shape) => sum + shape.reduce((a, b) => a * b, 1), 0);
}
