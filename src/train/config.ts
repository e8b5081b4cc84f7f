import { MODEL_NAMES, registeredModel, type ModelName } from '../models/index.ts';

export type OptimizerName = 'adam' | 'sgd';
export type ScheduleName = 'constant' | 'cosine' | 'step';
export type MonitorName = 'val_loss' | 'val_accuracy' | 'val_balanced_accuracy';
export type SamplingName = 'none' | 'oversample' | 'undersample' | 'class-weights' | 'balanced-batches';
export type BatchNormMode = 'batch' | 'frozen';
export type FinalWeightsName = 'average' | 'last' | 'best';

export interface TrainConfig {
  model: ModelName;
  /** Base width of the model (filters of its first stage); undefined = the model's default. */
  width?: number;
  /**
   * Epochs of the run. When not given, it follows from the dataset size: at least this many (the
   * default's or the model recipe's), and more when that is fewer than `steps` optimizer steps.
   */
  epochs: number;
  /** Least optimizer steps of a run whose epochs are not given (small datasets train for more epochs). */
  steps: number;
  /**
   * The weights the run ends with: 'average' = the mean of the weights at the end of each epoch of
   * the schedule's last quarter (stochastic weight averaging over the low learning rates), 'last' =
   * the last epoch's, 'best' = the best epoch's by the monitored validation metric (which a small
   * validation split can pick by chance).
   */
  finalWeights: FinalWeightsName;
  batchSize: number;
  optimizer: OptimizerName;
  learningRate: number;
  /** SGD momentum (ignored by Adam). */
  momentum: number;
  schedule: ScheduleName;
  /** Epochs of linear warm-up at the start of the schedule. */
  warmupEpochs: number;
  /** Stop when the monitored validation metric has not improved for this many epochs (0 = never). */
  patience: number;
  monitor: MonitorName;
  sampling: SamplingName;
  /** Label smoothing of the cross-entropy target (0 = none). */
  labelSmoothing: number;
  /**
   * Pretrained models (fine-tuned in parameter groups): epochs at the start that train only the new
   * head, the pretrained layers frozen; the learning-rate schedule starts again when they unfreeze
   * (with epochs ≤ freezeEpochs only the head trains). The model's recipe sets the default; 0 for
   * models trained from scratch.
   */
  freezeEpochs: number;
  /**
   * Pretrained models, once unfrozen: the head's learning rate over the earliest layers' (fastai's
   * discriminative learning rates, spaced geometrically over the groups); 1 = one rate for all.
   */
  layerRateRatio: number;
  /**
   * Pretrained models: the earliest parameter groups that never train (0 = every group trains once
   * unfrozen). Frozen groups are not differentiated, so each one saves its share of the backward pass.
   */
  frozenGroups: number;
  /**
   * How batch-norm layers train: 'batch' normalises with each batch's statistics and moves the stored
   * ones towards them; 'frozen' normalises with the stored statistics and keeps them (their scale
   * and shift still train), as Keras advises for fine-tuning. The model's recipe sets the default;
   * 'batch' for models trained from scratch.
   */
  batchNorm: BatchNormMode;
  /** Save a resumable checkpoint every this many steps (and always at the end of an epoch). */
  checkpointEverySteps: number;
  seed: number;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  model: 'resnet-small',
  epochs: 20,
  steps: 240,
  finalWeights: 'average',
  batchSize: 32,
  optimizer: 'adam',
  learningRate: 2e-3,
  momentum: 0.9,
  schedule: 'cosine',
  warmupEpochs: 1,
  patience: 0,
  monitor: 'val_loss',
  sampling: 'class-weights',
  labelSmoothing: 0,
  freezeEpochs: 0,
  layerRateRatio: 1,
  frozenGroups: 0,
  batchNorm: 'batch',
  checkpointEverySteps: 50,
  seed: 1,
};

const CHOICES = {
  optimizer: ['adam', 'sgd'],
  schedule: ['constant', 'cosine', 'step'],
  monitor: ['val_loss', 'val_accuracy', 'val_balanced_accuracy'],
  sampling: ['none', 'oversample', 'undersample', 'class-weights', 'balanced-batches'],
  batchNorm: ['batch', 'frozen'],
  finalWeights: ['average', 'last', 'best'],
} as const;

/**
 * Fills defaults (a pretrained model's fine-tuning recipe before the general ones) and checks every
 * field, with a message that names the field and the allowed values. Given the steps of one epoch
 * (which depend on the training set), epochs that were not given follow from the dataset size
 * (see epochsForDataset).
 */
export function resolveTrainConfig(partial: Partial<TrainConfig> = {}, stepsPerEpoch?: number): TrainConfig {
  const given = stripUndefined(partial);
  const model = given.model ?? DEFAULT_TRAIN_CONFIG.model;
  if (!MODEL_NAMES.includes(model)) {
    throw new Error(`unknown model "${model}"; choose one of: ${MODEL_NAMES.join(', ')}`);
  }
  const config: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, ...recipeOf(model), ...given };
  for (const [field, allowed] of Object.entries(CHOICES)) {
    const value = config[field as keyof typeof CHOICES];
    if (!(allowed as readonly string[]).includes(value)) {
      throw new Error(`${field} must be one of ${allowed.join(', ')}; got "${value}"`);
    }
  }
  requireInteger('epochs', config.epochs, 1);
  requireInteger('steps', config.steps, 1);
  if (given.epochs === undefined && stepsPerEpoch !== undefined) config.epochs = epochsForDataset(config.epochs, config.steps, stepsPerEpoch);
  requireInteger('batchSize', config.batchSize, 1);
  requireInteger('patience', config.patience, 0);
  requireInteger('checkpointEverySteps', config.checkpointEverySteps, 1);
  requireInteger('seed', config.seed, 0);
  if (config.width !== undefined) requireInteger('width', config.width, 1);
  if (!(config.learningRate > 0 && config.learningRate < 10)) throw new Error(`learningRate must be in (0, 10); got ${config.learningRate}`);
  if (!(config.momentum >= 0 && config.momentum < 1)) throw new Error(`momentum must be in [0, 1); got ${config.momentum}`);
  if (!(config.warmupEpochs >= 0)) throw new Error(`warmupEpochs must be ≥ 0; got ${config.warmupEpochs}`);
  if (!(config.labelSmoothing >= 0 && config.labelSmoothing < 1)) throw new Error(`labelSmoothing must be in [0, 1); got ${config.labelSmoothing}`);
  requireInteger('freezeEpochs', config.freezeEpochs, 0);
  if (!(config.layerRateRatio >= 1)) throw new Error(`layerRateRatio must be ≥ 1; got ${config.layerRateRatio}`);
  requireInteger('frozenGroups', config.frozenGroups, 0);
  const fineTune = registeredModel(model).fineTune;
  if (!fineTune && (config.freezeEpochs > 0 || config.layerRateRatio !== 1 || config.frozenGroups > 0)) {
    throw new Error(`freezeEpochs, layerRateRatio and frozenGroups fine-tune a pretrained model; "${model}" trains from scratch`);
  }
  if (fineTune && config.frozenGroups >= fineTune.groups) {
    throw new Error(`frozenGroups must be below ${fineTune.groups}, the parameter groups of "${model}" (the last is its new head); got ${config.frozenGroups}`);
  }
  return config;
}

/**
 * The training length of a recipe on a dataset: at least `leastEpochs`, and at least `leastSteps`
 * optimizer steps, so that a few hundred images get as many updates as the schedule needs (a fixed
 * epoch count gives a small dataset too few to converge).
 */
export function epochsForDataset(leastEpochs: number, leastSteps: number, stepsPerEpoch: number): number {
  return Math.max(leastEpochs, Math.ceil(leastSteps / Math.max(1, stepsPerEpoch)));
}

/** The fine-tuning recipe of a pretrained model: its defaults that differ from the general ones. */
function recipeOf(model: ModelName): Partial<TrainConfig> {
  const fineTune = registeredModel(model).fineTune;
  if (!fineTune) return {};
  const { freezeEpochs, layerRateRatio, frozenGroups, batchNorm, epochs, steps, learningRate, batchSize, patience } = fineTune;
  return stripUndefined({ freezeEpochs, layerRateRatio, frozenGroups, batchNorm, epochs, steps, learningRate, batchSize, patience });
}

function requireInteger(field: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new Error(`${field} must be an integer ≥ ${min}; got ${value}`);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
