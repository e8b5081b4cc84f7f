import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { augmentPipeline, type AugmentConfig, type AugmentPresetName } from '../augment/index.ts';
import { classWeights, epochIndices } from '../data/index.ts';
import { buildModel, LOGITS_LAYER_NAME, loadModelWeights, parameterGroupsOf, registeredModel, type ParameterGroups } from '../models/index.ts';
import { createRng, hashSeed } from '../util/index.ts';
import { BestWeights, Cancellation, Checkpointing, EarlyStopping, FineTuneSchedule, LearningRateSchedule, Progress, WeightAveraging } from './callbacks/index.ts';
import { loadCheckpoint, type TrainState } from './checkpoint.ts';
import { resolveTrainConfig, type TrainConfig } from './config.ts';
import { checkImageSet, computeNormalisation, normaliseInPlace, readImage, type ImageSet, type Normalisation } from './dataset.ts';
import type { EpochRecord, TrainProgress } from './history.ts';
import { TrainLoop, type TrainCallback, type TrainStatus, type ValidationMetrics } from './loop.ts';
import { setNegativeLogLikelihood, type CoarseSets } from './set-loss.ts';
import { createOptimizer, GroupedOptimizer } from './optimizer.ts';
import { BatchBuilder, LocalStepRunner, type LossInputs, type StepRunner } from './step.ts';

export interface StepRunnerContext {
  config: TrainConfig;
  model: tfl.LayersModel;
  logitsModel: tfl.LayersModel;
  train: ImageSet;
  normalisation: Normalisation;
  augment?: AugmentConfig | AugmentPresetName;
  loss: LossInputs;
  /** The parameter group of each trainable weight; one group when absent. */
  groups?: ParameterGroups;
}

export interface TrainOptions {
  numClasses: number;
  /**
   * Labels known only coarsely (label-tree nodes): label numClasses + j means "one of the classes
   * coarseLabels[j]". Such samples train with the set loss, −log P(their node).
   */
  coarseLabels?: CoarseSets;
  /** Folder for the resumable checkpoint; none is written without it. */
  runDir?: string;
  /** Continue from the checkpoint in runDir when there is one. */
  resume?: boolean;
  /** Augmentation of training batches (a config or preset name, recorded in the run); none by default. */
  augment?: AugmentConfig | AugmentPresetName;
  onProgress?: (event: TrainProgress) => void;
  /** Aborting stops after the current step, saves a checkpoint and returns status 'cancelled'. */
  signal?: AbortSignal;
  /** Fixed normalisation; otherwise the one the model's pretrained weights expect, or else computed on the training set. */
  normalisation?: Normalisation;
  /** Makes the step runner (e.g. one that spreads each batch over several cores); in-process by default. */
  createStepRunner?: (context: StepRunnerContext) => Promise<StepRunner>;
  /** More callbacks (e.g. weight averaging), run after the built-in ones at every hook. */
  callbacks?: TrainCallback[];
}

export interface TrainResult {
  model: tfl.LayersModel;
  config: TrainConfig;
  status: TrainStatus;
  history: EpochRecord[];
  bestEpoch: number;
  normalisation: Normalisation;
  seconds: number;
}

const EVAL_BATCH = 128;

/**
 * Trains a zoo model on packed images with a seeded, resumable loop (see `TrainLoop`): built-in
 * callbacks set the learning rate, honour the abort signal, keep the best weights, report progress,
 * save checkpoints and stop early; `options.callbacks` run after them.
 */
export async function trainClassifier(
  train: ImageSet,
  validation: ImageSet,
  partialConfig: Partial<TrainConfig>,
  options: TrainOptions,
): Promise<TrainResult> {
  let config = resolveTrainConfig(partialConfig);
  const orderFor = (epoch: number) => Int32Array.from(epochIndices(config.sampling, train.labels, createRng(hashSeed(config.seed, epoch, 0x5a)), { batchSize: config.batchSize }));
  const stepsPerEpoch = Math.max(1, Math.floor(orderFor(0).length / config.batchSize));
  config = resolveTrainConfig(partialConfig, stepsPerEpoch);
  const { numClasses } = options;
  const coarse = options.coarseLabels ?? [];
  checkTrainingInputs(train, validation, numClasses, coarse);

  const checkpoint = options.resume && options.runDir ? await loadCheckpoint(options.runDir) : null;
  if (checkpoint) config = checkResumable(checkpoint.config, config);
  const [, h, w, c] = train.shape;
  const state: TrainState = checkpoint?.state ?? initialState(options.normalisation ?? registeredModel(config.model).inputNormalisation?.(c) ?? computeNormalisation(train));
  const model = buildModel(config.model, { inputShape: [h, w, c], numClasses, width: config.width, seed: config.seed });
  const logitsModel = logitsModelOf(model);
  if (checkpoint) loadModelWeights(model, checkpoint.weights);
  const loss: LossInputs = {
    numClasses,
    classWeights: config.sampling === 'class-weights' ? classWeights(train.labels, numClasses, coarse) : null,
    labelSmoothing: config.labelSmoothing,
    ...(coarse.length > 0 ? { coarseLabels: coarse } : {}),
    ...(config.batchNorm === 'frozen' ? { frozenBatchNorm: true } : {}),
  };
  const groups = parameterGroupsOf(config.model, logitsModel);
  const runnerContext: StepRunnerContext = { config, model, logitsModel, train, normalisation: state.normalisation, augment: options.augment, loss, groups };
  const runner = options.createStepRunner ? await options.createStepRunner(runnerContext) : localStepRunner(runnerContext);
  if (checkpoint) await runner.restoreOptimizer(checkpoint.optimizer);

  const loop = new TrainLoop({
    config,
    state,
    model,
    runner,
    stepsPerEpoch,
    orderFor,
    validate: () => evaluateLogits(logitsModel, validation, state.normalisation, numClasses, coarse),
    bestWeights: checkpoint?.best ?? null,
    averagedWeights: checkpoint?.average ?? null,
  });
  let status: TrainStatus;
  try {
    status = await loop.run([...builtInCallbacks(config, options, groups, checkpoint !== null), ...(options.callbacks ?? [])]);
  } finally {
    await runner.dispose();
  }
  return { model, config, status, history: state.history, bestEpoch: state.bestEpoch, normalisation: state.normalisation, seconds: loop.elapsedSeconds() };
}

/**
 * Their order matters: the abort check and the learning rate before a step; at the end of an epoch
 * the best or averaged weights before the checkpoint that holds them, and the progress event before
 * the checkpoint's.
 */
function builtInCallbacks(config: TrainConfig, options: TrainOptions, groups: ParameterGroups, resumed: boolean): TrainCallback[] {
  return [
    ...(options.signal ? [new Cancellation(options.signal)] : []),
    groups.count > 1 ? new FineTuneSchedule(groups.count) : new LearningRateSchedule(),
    ...(config.finalWeights === 'best' ? [new BestWeights()] : config.finalWeights === 'average' ? [new WeightAveraging()] : []),
    ...(options.onProgress ? [new Progress(options.onProgress, resumed)] : []),
    ...(options.runDir ? [new Checkpointing(options.runDir, options.onProgress)] : []),
    new EarlyStopping(),
  ];
}

function localStepRunner({ config, logitsModel, train, normalisation, augment, loss, groups }: StepRunnerContext): StepRunner {
  const batches = new BatchBuilder(train, normalisation, augment ? augmentPipeline(augment) : undefined);
  const optimizer = GroupedOptimizer.forModel(logitsModel, () => createOptimizer(config), groups);
  return new LocalStepRunner(logitsModel, optimizer, train, batches, loss, config.batchSize);
}

function initialState(normalisation: Normalisation): TrainState {
  return {
    epoch: 0,
    step: 0,
    globalStep: 0,
    epochLossSum: 0,
    epochCorrect: 0,
    epochSeen: 0,
    history: [],
    bestEpoch: -1,
    bestScore: null,
    epochsWithoutImprovement: 0,
    elapsedSeconds: 0,
    normalisation,
  };
}

function checkTrainingInputs(train: ImageSet, validation: ImageSet, numClasses: number, coarse: CoarseSets): void {
  checkCoarseSets(coarse, numClasses);
  checkImageSet(train, numClasses + coarse.length, 'training');
  checkImageSet(validation, numClasses + coarse.length, 'validation');
  if (!validation.labels.some((label) => label < numClasses)) throw new Error('every validation image has a coarse label: validation accuracy needs images labelled with a class');
  const [, h, w, c] = train.shape;
  if (validation.shape[1] !== h || validation.shape[2] !== w || validation.shape[3] !== c) {
    throw new Error(`validation images are ${validation.shape.slice(1).join('×')} but training images are ${h}×${w}×${c}`);
  }
}

/** A resumed run must continue the same experiment: only the epoch budget may grow. */
function checkResumable(saved: TrainConfig, requested: TrainConfig): TrainConfig {
  const differing = (Object.keys(saved) as (keyof TrainConfig)[]).filter((key) => key !== 'epochs' && saved[key] !== requested[key]);
  if (differing.length > 0) {
    throw new Error(`cannot resume: the checkpoint was made with a different ${differing.join(', ')}; start a new run or use the same settings`);
  }
  // A checkpoint from before a config field existed resumes with that field's requested value.
  return { ...requested, ...saved, epochs: Math.max(saved.epochs, requested.epochs) };
}

/** A model's 2-D output for every image of a set (n × outputs: logits, pooled features), in batches, normalised as in training. */
export function predictLogits(logitsModel: tfl.LayersModel, set: ImageSet, normalisation: Normalisation): Float32Array {
  const [n, h, w, c] = set.shape;
  const size = h * w * c;
  let out: Float32Array | null = null;
  for (let start = 0; start < n; start += EVAL_BATCH) {
    const count = Math.min(EVAL_BATCH, n - start);
    const batch = new Float32Array(count * size);
    for (let i = 0; i < count; i++) {
      const slot = batch.subarray(i * size, (i + 1) * size);
      readImage(set, start + i, slot);
      normaliseInPlace(slot, c, normalisation);
    }
    const logits = tf.tidy(() => logitsModel.predict(tf.tensor4d(batch, [count, h, w, c])) as tf.Tensor2D);
    const values = logits.dataSync() as Float32Array;
    logits.dispose();
    const k = values.length / count;
    out ??= new Float32Array(n * k);
    out.set(values, start * k);
  }
  return out ?? new Float32Array(0);
}

/** Loss over every image (the set loss for coarse labels); accuracies over the images labelled with a class. */
function evaluateLogits(logitsModel: tfl.LayersModel, set: ImageSet, normalisation: Normalisation, numClasses: number, coarse: CoarseSets): ValidationMetrics {
  const logits = predictLogits(logitsModel, set, normalisation);
  const n = set.labels.length;
  let lossSum = 0;
  let correct = 0;
  let classLabelled = 0;
  const perClassCorrect = new Float64Array(numClasses);
  const perClassCount = new Float64Array(numClasses);
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * numClasses, (i + 1) * numClasses);
    const label = set.labels[i];
    lossSum += setNegativeLogLikelihood(row, label, coarse);
    if (label >= numClasses) continue;
    let argMax = 0;
    for (let k = 1; k < numClasses; k++) if (row[k] > row[argMax]) argMax = k;
    classLabelled++;
    perClassCount[label]++;
    if (argMax === label) {
      correct++;
      perClassCorrect[label]++;
    }
  }
  let recallSum = 0;
  let present = 0;
  for (let k = 0; k < numClasses; k++) {
    if (perClassCount[k] > 0) {
      recallSum += perClassCorrect[k] / perClassCount[k];
      present++;
    }
  }
  return { loss: lossSum / n, accuracy: correct / classLabelled, balancedAccuracy: recallSum / present };
}

function checkCoarseSets(coarse: CoarseSets, numClasses: number): void {
  coarse.forEach((set, j) => {
    if (set.length === 0 || set.some((c) => !(Number.isInteger(c) && c >= 0 && c < numClasses))) {
      throw new Error(`coarse label ${numClasses + j} must list class indices in 0..${numClasses - 1}; got [${set.join(', ')}]`);
    }
  });
}

/** The sub-model that outputs the logits (pre-softmax scores) of a zoo model, sharing its weights. */
export function logitsModelOf(model: tfl.LayersModel): tfl.LayersModel {
  return tfl.model({ inputs: model.inputs, outputs: model.getLayer(LOGITS_LAYER_NAME).output as tfl.SymbolicTensor });
}
