import type * as tfl from '@tensorflow/tfjs-layers';
import type { SerializedWeights } from '../models/index.ts';
import { hashSeed } from '../util/index.ts';
import type { TrainState } from './checkpoint.ts';
import type { MonitorName, TrainConfig } from './config.ts';
import type { EpochRecord } from './history.ts';
import type { StepResult, StepRunner } from './step.ts';

export type TrainStatus = 'completed' | 'early-stopped' | 'cancelled';

export interface StepEnd {
  result: StepResult;
  /** Samples in the step's batch. */
  batchSize: number;
}

export interface EpochEnd {
  record: EpochRecord;
  /** The monitored metric reached a new best at this epoch. */
  improved: boolean;
}

/**
 * Hooks into the training loop, fastai-style. Each hook may act on the shared `TrainLoop` (its
 * checkpointed `state`, the learning rate of the next step, the best weights, a request to stop).
 * Callbacks run in the order they are given, each hook awaited before the next.
 *
 * When a hook runs: onStepBegin before each step (after `stop` it is not taken); onStepEnd once the
 * step's loss and counters are in `state`; onEpochEnd once the epoch is evaluated, recorded in
 * `state.history` and `state` has moved on to the next epoch (step 0, counters cleared); onTrainEnd
 * when the loop has ended (not after an error), before the step runner is disposed.
 */
export interface TrainCallback {
  onTrainBegin?(loop: TrainLoop): void | Promise<void>;
  onEpochBegin?(loop: TrainLoop): void | Promise<void>;
  onStepBegin?(loop: TrainLoop): void | Promise<void>;
  onStepEnd?(loop: TrainLoop, step: StepEnd): void | Promise<void>;
  onEpochEnd?(loop: TrainLoop, epoch: EpochEnd): void | Promise<void>;
  onTrainEnd?(loop: TrainLoop): void | Promise<void>;
}

export interface ValidationMetrics {
  loss: number;
  accuracy: number;
  balancedAccuracy: number;
}

export interface TrainLoopInputs {
  config: TrainConfig;
  state: TrainState;
  model: tfl.LayersModel;
  runner: StepRunner;
  stepsPerEpoch: number;
  /** The sample order of an epoch (at least stepsPerEpoch · batchSize indices). */
  orderFor: (epoch: number) => Int32Array;
  validate: () => ValidationMetrics;
  /** Best weights so far (from a checkpoint when resuming). */
  bestWeights: SerializedWeights | null;
  /** Running mean of the weights being averaged (from a checkpoint when resuming). */
  averagedWeights?: SerializedWeights | null;
}

/** The state every callback shares: what a checkpoint keeps (`state`) and what the current run adds. */
export class TrainLoop {
  readonly config: TrainConfig;
  readonly state: TrainState;
  readonly model: tfl.LayersModel;
  readonly runner: StepRunner;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  /** Learning rate of the next step (a schedule callback sets it before each step). */
  learningRate: number;
  /** Factors of the next step's learning rate per parameter group (0 = frozen); every weight at `learningRate` when null. */
  groupRates: number[] | null = null;
  /** Weights of the best epoch so far, kept by the BestWeights callback and saved in checkpoints. */
  bestWeights: SerializedWeights | null;
  /** Running mean of the end-of-epoch weights, kept by the WeightAveraging callback and saved in checkpoints. */
  averagedWeights: SerializedWeights | null;
  private stopStatus: Exclude<TrainStatus, 'completed'> | null = null;
  private readonly startedAt = performance.now();

  constructor(private readonly inputs: TrainLoopInputs) {
    this.config = inputs.config;
    this.state = inputs.state;
    this.model = inputs.model;
    this.runner = inputs.runner;
    this.stepsPerEpoch = inputs.stepsPerEpoch;
    this.totalSteps = inputs.stepsPerEpoch * inputs.config.epochs;
    this.learningRate = inputs.config.learningRate;
    this.bestWeights = inputs.bestWeights;
    this.averagedWeights = inputs.averagedWeights ?? null;
  }

  get status(): TrainStatus {
    return this.stopStatus ?? 'completed';
  }

  /** Ends the run before the next step (or, asked at the end of an epoch, before the next epoch). */
  stop(status: Exclude<TrainStatus, 'completed'>): void {
    this.stopStatus ??= status;
  }

  /** Training time of the run, resumed parts included. */
  elapsedSeconds(): number {
    return this.state.elapsedSeconds + (performance.now() - this.startedAt) / 1000;
  }

  /**
   * Runs the epochs left: the sample order of an epoch and the augmentation seed of a step depend
   * only on (seed, epoch, step), so a resumed run takes exactly the steps of an uninterrupted one.
   */
  async run(callbacks: readonly TrainCallback[]): Promise<TrainStatus> {
    const { config, state } = this;
    for (const callback of callbacks) await callback.onTrainBegin?.(this);
    while (state.epoch < config.epochs && this.stopStatus === null) {
      const order = this.inputs.orderFor(state.epoch);
      const epochStartedAt = performance.now();
      for (const callback of callbacks) await callback.onEpochBegin?.(this);
      while (state.step < this.stepsPerEpoch) {
        for (const callback of callbacks) await callback.onStepBegin?.(this);
        if (this.stopStatus !== null) break;
        const step = await this.takeStep(order);
        for (const callback of callbacks) await callback.onStepEnd?.(this, step);
      }
      if (this.stopStatus !== null) break;
      const epoch = this.endEpoch((performance.now() - epochStartedAt) / 1000);
      for (const callback of callbacks) await callback.onEpochEnd?.(this, epoch);
    }
    for (const callback of callbacks) await callback.onTrainEnd?.(this);
    return this.status;
  }

  private async takeStep(order: Int32Array): Promise<StepEnd> {
    const { config, state } = this;
    const indices = order.subarray(state.step * config.batchSize, (state.step + 1) * config.batchSize);
    const result = await this.runner.step(indices, hashSeed(config.seed, state.epoch, state.step, 0xa7), this.learningRate, this.groupRates ?? undefined);
    state.epochLossSum += result.loss * indices.length;
    state.epochCorrect += result.correct;
    state.epochSeen += indices.length;
    state.step++;
    state.globalStep++;
    return { result, batchSize: indices.length };
  }

  /** Evaluates the epoch, tracks the monitored metric, records the epoch and moves the state on to the next one. */
  private endEpoch(seconds: number): EpochEnd {
    const { config, state } = this;
    const val = this.inputs.validate();
    const record: EpochRecord = {
      epoch: state.epoch,
      learningRate: this.learningRate,
      loss: state.epochLossSum / state.epochSeen,
      accuracy: state.epochCorrect / state.epochSeen,
      valLoss: val.loss,
      valAccuracy: val.accuracy,
      valBalancedAccuracy: val.balancedAccuracy,
      seconds,
    };
    const score = monitoredScore(config.monitor, record);
    const improved = state.bestScore === null || score > state.bestScore;
    if (improved) {
      state.bestScore = score;
      state.bestEpoch = state.epoch;
      state.epochsWithoutImprovement = 0;
    } else {
      state.epochsWithoutImprovement++;
    }
    state.history.push(record);
    Object.assign(state, { epoch: state.epoch + 1, step: 0, epochLossSum: 0, epochCorrect: 0, epochSeen: 0 });
    return { record, improved };
  }
}

/** Higher is better for every monitored metric. */
function monitoredScore(monitor: MonitorName, record: EpochRecord): number {
  switch (monitor) {
    case 'val_loss':
      return -record.valLoss;
    case 'val_accuracy':
      return record.valAccuracy;
    case 'val_balanced_accuracy':
      return record.valBalancedAccuracy;
  }
}
