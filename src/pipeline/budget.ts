import { labelNames, splitByPatient, type Dataset, type ResizePolicy, type Sample } from '../data/index.ts';
import { confusionMatrix, macroF1 } from '../evaluate/index.ts';
import type { ModelName } from '../models/index.ts';
import { logitsModelOf, predictLogits, resolveTrainConfig, subsetImageSet, trainClassifier, type ImageSet, type StepRunner, type StepRunnerContext, type TrainConfig, type TrainResult } from '../train/index.ts';
import { createParallelStepRunner } from '../train/parallel/index.ts';
import type { AugmentConfig, AugmentPresetName } from '../augment/index.ts';
import { hashSeed } from '../util/index.ts';
import { prepareImageSet } from './prepare.ts';

/** A model and input size `train --budget` may choose. */
export interface BudgetCandidate {
  model: ModelName;
  size: number;
}

/** The default model from scratch at two sizes and the pretrained backbone. */
const BUDGET_CANDIDATES: readonly BudgetCandidate[] = [
  { model: 'resnet-small', size: 64 },
  { model: 'resnet-small', size: 128 },
  { model: 'mobilenetv2', size: 128 },
];

/** Share of the budget the candidates' inner trainings may take; the final model gets the rest but a reserve. */
const SEARCH_SHARE = 0.45;
/** Kept for calibrating, evaluating and saving the final model. */
const RESERVE_SHARE = 0.1;
/** Optimizer steps of each probe epoch; the probe trains two epochs and times the second. */
const PROBE_STEPS = 3;

export interface BudgetTrial extends BudgetCandidate {
  /** From the probe: seconds per optimizer step, and the fixed cost of a run (model build, workers). */
  secondsPerStep: number;
  overheadSeconds: number;
  epochs: number;
  steps: number;
  /** On the inner validation patients; null when the trial was cancelled. */
  macroF1: number | null;
  /** Decoding, probe and trial. */
  seconds: number;
}

export interface BudgetChoice {
  budgetSeconds: number;
  /** Images of the inner split of the training part (patients apart). */
  inner: { train: number; val: number };
  trials: BudgetTrial[];
  chosen: BudgetTrial;
  /** The final model's length, from the time left and the chosen candidate's probe. */
  finalEpochs: number;
  searchSeconds: number;
  status: 'completed' | 'cancelled';
}

export interface BudgetOptions {
  budgetSeconds: number;
  /** When the budget started (performance.now()); default now. */
  startedAt?: number;
  /** Images the final model trains on (its epochs follow from their number). */
  finalTrainImages: number;
  seed: number;
  channels: 1 | 3;
  fit: ResizePolicy['fit'];
  augment?: AugmentConfig | AugmentPresetName;
  /** The general training settings every candidate shares (not model, epochs or seed). */
  train?: Partial<TrainConfig>;
  workers?: number;
  candidates?: readonly BudgetCandidate[];
  cacheDir?: string;
  strict?: boolean;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

/**
 * Chooses the model and input size for `train --budget` by patient-grouped inner validation within
 * `trainingPart` (never the held-out test images): each candidate is probed for its time per step,
 * trained as long as its share of the budget allows (at most its recipe's own length) and scored by
 * macro-F1 on a fifth of the training patients; then the final model's epochs are fitted to the
 * time left.
 */
export async function chooseWithinBudget(dataset: Dataset, trainingPart: readonly Sample[], options: BudgetOptions): Promise<BudgetChoice> {
  const startedAt = options.startedAt ?? performance.now();
  const elapsed = () => (performance.now() - startedAt) / 1000;
  const candidates = options.candidates ?? BUDGET_CANDIDATES;
  const inner = splitByPatient(trainingPart, { fractions: { train: 0.8, val: 0.2, test: 0 }, seed: hashSeed(options.seed, 0xb0d9e7) });
  if (inner.train.length === 0 || inner.val.length === 0) throw new Error('--budget needs more patients: the training part has too few to hold a fifth of them out for choosing');
  const share = (options.budgetSeconds * SEARCH_SHARE) / candidates.length;
  const trials: BudgetTrial[] = [];
  // candidates of one input size share their decoded images
  const decoded = new Map<number, Promise<InnerSets>>();
  const innerSetsAt = (size: number): Promise<InnerSets> => {
    if (!decoded.has(size)) decoded.set(size, decodeInner(dataset, inner, size, options));
    return decoded.get(size)!;
  };
  for (const candidate of candidates) {
    options.signal?.throwIfAborted();
    options.onProgress?.(`budget: trying ${describeCandidate(candidate)}`);
    const trial = await runTrial(dataset, innerSetsAt(candidate.size), candidate, share, options);
    trials.push(trial);
    if (trial.macroF1 === null) return { budgetSeconds: options.budgetSeconds, inner: { train: inner.train.length, val: inner.val.length }, trials, chosen: trial, finalEpochs: 0, searchSeconds: elapsed(), status: 'cancelled' };
  }
  const chosen = trials.reduce((best, trial) => (trial.macroF1! > best.macroF1! ? trial : best));
  const left = options.budgetSeconds * (1 - RESERVE_SHARE) - elapsed() - chosen.overheadSeconds;
  const stepsPerEpoch = stepsPerEpochOf(options.finalTrainImages, options.train, chosen.model);
  const config = resolveTrainConfig({ ...options.train, model: chosen.model }, stepsPerEpoch);
  const finalEpochs = Math.max(1, Math.min(config.epochs, Math.floor(left / (chosen.secondsPerStep * stepsPerEpoch))));
  return { budgetSeconds: options.budgetSeconds, inner: { train: inner.train.length, val: inner.val.length }, trials, chosen, finalEpochs, searchSeconds: elapsed(), status: 'completed' };
}

function describeCandidate(candidate: BudgetCandidate): string {
  return `${candidate.model === 'mobilenetv2' ? 'backbone mobilenetv2' : `${candidate.model} from scratch`} at ${candidate.size} px`;
}

/** The table `train --budget` prints. */
export function formatBudgetChoice(choice: BudgetChoice): string {
  const rows = choice.trials.map((trial) =>
    [describeCandidate(trial).padEnd(34), trial.secondsPerStep.toFixed(2).padStart(8), String(trial.epochs).padStart(6), String(trial.steps).padStart(6), (trial.macroF1 === null ? '—' : trial.macroF1.toFixed(3)).padStart(9), trial.seconds.toFixed(0).padStart(8), trial === choice.chosen ? '  chosen' : ''].join(' '),
  );
  return [
    `budget ${choice.budgetSeconds.toFixed(0)} s: candidates trained on ${choice.inner.train} images, scored on ${choice.inner.val} images of other patients of the training part`,
    `${'candidate'.padEnd(34)} ${'s/step'.padStart(8)} ${'epochs'.padStart(6)} ${'steps'.padStart(6)} ${'macro-F1'.padStart(9)} ${'seconds'.padStart(8)}`,
    ...rows,
    `final model: ${describeCandidate(choice.chosen)}, ${choice.finalEpochs} epochs (search took ${choice.searchSeconds.toFixed(0)} s)`,
  ].join('\n');
}

interface InnerSets {
  train: ImageSet;
  val: ImageSet;
}

async function decodeInner(dataset: Dataset, inner: { train: Sample[]; val: Sample[] }, size: number, options: BudgetOptions): Promise<InnerSets> {
  const policy: ResizePolicy = { size: [size, size], channels: options.channels, fit: options.fit };
  const prepare = async (samples: Sample[]) => (await prepareImageSet(samples, labelNames(dataset), policy, { cacheDir: options.cacheDir, strict: options.strict })).set;
  return { train: await prepare(inner.train), val: await prepare(inner.val) };
}

async function runTrial(dataset: Dataset, innerSets: Promise<InnerSets>, candidate: BudgetCandidate, share: number, options: BudgetOptions): Promise<BudgetTrial> {
  const started = performance.now();
  const { train, val } = await innerSets;
  const base = { ...options.train, model: candidate.model, seed: options.seed };
  const batchSize = resolveTrainConfig(base).batchSize;

  const probeWall = performance.now();
  const probeSet = subsetImageSet(train, Array.from({ length: Math.min(train.labels.length, PROBE_STEPS * batchSize) }, (_, i) => i));
  const probe = await trainOn(probeSet, subsetImageSet(val, [0]), { ...base, epochs: 2, steps: 1, warmupEpochs: 0 }, dataset.classes.length, options);
  if (probe.status === 'cancelled') return cancelledTrial(candidate, started);
  const probeSteps = Math.max(1, Math.floor(probeSet.labels.length / batchSize));
  const secondsPerStep = probe.history[1].seconds / probeSteps;
  const overheadSeconds = Math.max(0, (performance.now() - probeWall) / 1000 - probe.history[0].seconds - probe.history[1].seconds);
  probe.model.dispose();

  const stepsPerEpoch = Math.max(1, Math.floor(train.labels.length / batchSize));
  const recipeEpochs = resolveTrainConfig(base, stepsPerEpoch).epochs;
  const left = share - (performance.now() - started) / 1000 - overheadSeconds;
  const epochs = Math.max(1, Math.min(recipeEpochs, Math.floor(left / (secondsPerStep * stepsPerEpoch))));
  const trained = await trainOn(train, val, { ...base, epochs }, dataset.classes.length, options);
  if (trained.status === 'cancelled') return cancelledTrial(candidate, started);
  const score = innerMacroF1(trained, val, dataset.classes.length);
  trained.model.dispose();
  return { ...candidate, secondsPerStep, overheadSeconds, epochs, steps: epochs * stepsPerEpoch, macroF1: score, seconds: (performance.now() - started) / 1000 };
}

function trainOn(train: ImageSet, val: ImageSet, config: Partial<TrainConfig> & { model: ModelName }, numClasses: number, options: BudgetOptions): Promise<TrainResult> {
  const workers = options.workers ?? 1;
  const createStepRunner: ((context: StepRunnerContext) => Promise<StepRunner>) | undefined = workers > 1 ? createParallelStepRunner({ workers }) : undefined;
  return trainClassifier(train, val, config, { numClasses, augment: options.augment, signal: options.signal, createStepRunner });
}

function innerMacroF1(trained: TrainResult, val: ImageSet, numClasses: number): number {
  const logits = predictLogits(logitsModelOf(trained.model), val, trained.normalisation);
  const predicted = Int32Array.from(val.labels, (_, i) => {
    const row = logits.subarray(i * numClasses, (i + 1) * numClasses);
    return row.indexOf(Math.max(...row));
  });
  return macroF1(confusionMatrix(val.labels, predicted, numClasses));
}

function stepsPerEpochOf(images: number, train: Partial<TrainConfig> | undefined, model: ModelName): number {
  return Math.max(1, Math.floor(images / resolveTrainConfig({ ...train, model }).batchSize));
}

function cancelledTrial(candidate: BudgetCandidate, started: number): BudgetTrial {
  return { ...candidate, secondsPerStep: 0, overheadSeconds: 0, epochs: 0, steps: 0, macroF1: null, seconds: (performance.now() - started) / 1000 };
}
