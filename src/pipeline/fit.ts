import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { augmentPipeline, ttaViewsFor, type AugmentConfig, type AugmentPresetName } from '../augment/index.ts';
import { datasetInputPxPerUm, labelNames, splitByPatient, type CoarseLabel, type Dataset, type ResizePolicy, type Sample, type SplitFractions } from '../data/index.ts';
import { engineInfo } from '../engine/index.ts';
import { exportEnsembleToOnnx } from '../engine/onnx/index.ts';
import { applyTemperature, evaluateClassifier, operatingPointOutcomes, summariseTestReport, type ClassifierReport } from '../evaluate/index.ts';
import type { DatasetSplit, OperatingPointChoice } from '../report/index.ts';
import type { LabelTreeNode } from '../contract/index.ts';
import { FEATURE_LAYER_NAME, PROBABILITIES_LAYER_NAME, saveBundle, type BundleMetadata } from '../models/index.ts';
import { logitsModelOf, subsetImageSet, trainEnsemble, type ImageSet, type StepRunnerContext, type StepRunner, type TrainConfig, type TrainProgress, type TrainResult } from '../train/index.ts';
import { createParallelStepRunner } from '../train/parallel/index.ts';
import { normaliseSetStains, stainReferenceOf, type StainMethod } from '../preprocess/index.ts';
import { chooseCalibration } from './calibration.ts';
import { fitOutOfDistribution } from './ood.ts';
import { datasetHash, prepareImageSet, type PreparedSet } from './prepare.ts';
import { ensembleLogits } from './tta.ts';

/** Everything of a fit that does not depend on where the images came from. */
export interface FitSetsOptions {
  train?: Partial<TrainConfig>;
  augment?: AugmentConfig | AugmentPresetName;
  /** Folder for the checkpoint, run record and (unless bundleDir is given) the bundle. */
  runDir: string;
  bundleDir?: string;
  resume?: boolean;
  labelTree?: LabelTreeNode[];
  /** Label-tree nodes used as labels: label classes.length + j is coarseLabels[j] (see Dataset.coarseLabels). */
  coarseLabels?: CoarseLabel[];
  /** How images were brought to the input size (recorded in the bundle). */
  fit?: ResizePolicy['fit'];
  /** Accuracy the retained (non-referred) predictions should reach on validation; sets the referral level. */
  referralTargetAccuracy?: number;
  /** Sensitivity each class's one-vs-rest operating threshold should reach on validation (default 0.95). */
  targetSensitivity?: number;
  /** Written into the bundle (e.g. the dataset fingerprint). */
  dataHash?: string;
  /** Replicas training in parallel, one per core (default 1); ignored when createStepRunner is given. */
  workers?: number;
  createStepRunner?: (context: StepRunnerContext) => Promise<StepRunner>;
  onProgress?: (event: FitProgress) => void;
  signal?: AbortSignal;
  seed?: number;
  /** Stain normalisation of every image (default none); its reference is estimated on training images and stored in the bundle. */
  stainNormalisation?: StainMethod | 'none';
  /**
   * Test-time augmentation: predictions average the views the training augmentation's flips and
   * quarter turns generate (ttaViewsFor); calibration and the test figures use them, and the bundle
   * records them so every inference path does the same. Off by default.
   */
  tta?: boolean;
  /** Physical scale of the model input (px/µm), recorded as input.pxPerUm for whole-field tiling; fitClassifier reads it from the dataset's dataset.json. */
  pxPerUm?: number;
  /**
   * Members of an ensemble (default 1): the model trained with seeds seed, seed+1, ... on the same
   * images; calibration, the referral level and the test figures use the mean of their
   * probabilities, and the bundle stores them as one model (see BundleMetadata.ensemble).
   */
  ensemble?: number;
}

export interface FitOptions extends FitSetsOptions {
  /** Network input [height, width]; images are resized by `fit`. */
  size: [number, number];
  channels?: 1 | 3;
  /** Patient-grouped split fractions; default 70/15/15. Ignored when `splits` is given. */
  fractions?: SplitFractions;
  /** Explicit splits. */
  splits?: { train: Sample[]; val: Sample[]; test: Sample[] };
  cacheDir?: string;
  strict?: boolean;
}

export type FitProgress =
  | { kind: 'decode'; split: 'train' | 'val' | 'test'; done: number; total: number }
  | { kind: 'train'; event: TrainProgress }
  | { kind: 'stage'; message: string };

export interface LabelledSet {
  set: ImageSet;
  /** Patient id per image, for patient-level confidence intervals. */
  groups?: string[];
}

export interface FitResult {
  status: TrainResult['status'];
  report: ClassifierReport | null;
  metadata: BundleMetadata | null;
  bundleDir: string;
  trainSeconds: number;
  temperature: number;
  counts: Record<'train' | 'val' | 'test', number>;
  skipped: number;
  /** Calibrated probabilities of the test images (and, from fitClassifier, their samples). */
  test: { set: ImageSet; samples: Sample[]; groups?: string[]; probabilities: Float32Array; uncalibratedProbabilities: Float32Array; coarse?: CoarseTestImages } | null;
  training: TrainResult;
  /** Per-class thresholds chosen on validation for the target sensitivity. */
  operatingPoints: OperatingPointChoice[];
  /** Calibrated top probability below which a case is referred (chosen on validation), if any. */
  referBelow?: number;
  /** Images per class and patients per split. */
  splits: DatasetSplit[];
}

/**
 * Test images labelled only with a label-tree node: left out of the class-level metrics (and of
 * `test.set`), counted at the tree levels where their node lies within one group.
 */
export interface CoarseTestImages {
  /** Index into classSets of each image's label. */
  labels: Int32Array;
  /** The class indices each coarse label stands for. */
  classSets: number[][];
  /** Calibrated, over the classes. */
  probabilities: Float32Array;
  groups?: string[];
}

/**
 * The one-line path from a labelled dataset to an evaluated model bundle: split by patient, decode,
 * then `fitImageSets`.
 */
export async function fitClassifier(dataset: Dataset, options: FitOptions): Promise<FitResult> {
  const seed = options.seed ?? options.train?.seed ?? 1;
  const policy: ResizePolicy = { size: options.size, channels: options.channels ?? 3, fit: options.fit ?? 'cover' };
  const splits = options.splits ?? splitByPatient(dataset.samples, { fractions: options.fractions ?? { train: 0.7, val: 0.15, test: 0.15 }, seed });
  for (const part of ['train', 'val'] as const) {
    if (splits[part].length === 0) throw new Error(`the ${part} split is empty: the dataset has too few patients for these fractions`);
  }
  const prepare = async (part: 'train' | 'val' | 'test'): Promise<PreparedSet | null> => {
    if (splits[part].length === 0) return null;
    return prepareImageSet(splits[part], labelNames(dataset), policy, {
      strict: options.strict,
      cacheDir: options.cacheDir,
      onProgress: (done, total) => options.onProgress?.({ kind: 'decode', split: part, done, total }),
    });
  };
  const train = (await prepare('train'))!;
  const val = (await prepare('val'))!;
  const test = await prepare('test');
  const withGroups = (prepared: PreparedSet): LabelledSet => ({ set: prepared.set, groups: prepared.samples.map((s) => s.patientId) });
  const result = await fitImageSets(
    { train: withGroups(train), val: withGroups(val), test: test ? withGroups(test) : null },
    dataset.classes,
    { ...options, seed, fit: policy.fit, dataHash: datasetHash(dataset), coarseLabels: dataset.coarseLabels, pxPerUm: options.pxPerUm ?? (await datasetInputPxPerUm(dataset.root, options.size)) },
  );
  const skipped = train.skipped.length + val.skipped.length + (test?.skipped.length ?? 0);
  const classes = new Set(dataset.classes);
  const testSamples = test?.samples.filter((sample) => classes.has(sample.label)) ?? [];
  return { ...result, skipped, test: result.test && test ? { ...result.test, samples: testSamples } : null };
}

/**
 * Trains on packed image sets, calibrates on validation (temperature scaling and the referral
 * level), evaluates once on test and writes the bundle (TF.js weights + ONNX + metadata).
 */
export async function fitImageSets(
  sets: { train: LabelledSet; val: LabelledSet; test: LabelledSet | null },
  classes: string[],
  options: FitSetsOptions,
): Promise<FitResult> {
  const seed = options.seed ?? options.train?.seed ?? 1;
  const { train, val, test, stain } = withStainNormalisation(sets, options, seed);
  const numClasses = classes.length;
  const present = new Set(train.set.labels);
  const missing = classes.filter((_, i) => !present.has(i));
  if (missing.length > 0) throw new Error(`the training split has no image of class ${missing.join(', ')}: add images or patients of that class`);
  await mkdir(options.runDir, { recursive: true });

  const coarseSets = (options.coarseLabels ?? []).map((node) => node.classes.map((name) => classIndexOf(classes, name, node.name)));
  const members = options.ensemble ?? 1;
  const ensemble = await trainEnsemble(train.set, val.set, { ...options.train, seed: options.train?.seed ?? seed }, {
    members,
    onMember: (member, memberSeed) => {
      if (members > 1) options.onProgress?.({ kind: 'stage', message: `ensemble member ${member + 1}/${members} (seed ${memberSeed})` });
    },
    numClasses,
    coarseLabels: coarseSets,
    runDir: options.runDir,
    resume: options.resume,
    augment: options.augment,
    signal: options.signal,
    createStepRunner: options.createStepRunner ?? ((options.workers ?? 1) > 1 ? createParallelStepRunner({ workers: options.workers! }) : undefined),
    onProgress: (event) => options.onProgress?.({ kind: 'train', event }),
  });
  const training = { ...ensemble.members[0], status: ensemble.status, seconds: ensemble.seconds };
  const counts = { train: train.set.labels.length, val: val.set.labels.length, test: test?.set.labels.length ?? 0 };
  const splits = [splitCard('train', train, numClasses), splitCard('validation', val, numClasses), ...(test ? [splitCard('test', test, numClasses)] : [])];
  const bundleDir = options.bundleDir ?? join(options.runDir, 'model');
  if (training.status === 'cancelled') {
    ensemble.members.slice(1).forEach((member) => member.model.dispose());
    return { status: training.status, report: null, metadata: null, bundleDir, trainSeconds: training.seconds, temperature: 1, counts, skipped: 0, test: null, training, operatingPoints: [], splits };
  }

  options.onProgress?.({ kind: 'stage', message: 'calibrating on validation' });
  const logitsModels = ensemble.members.map((member) => logitsModelOf(member.model));
  const calibration = splitByLabelKind(val, numClasses).classLabelled;
  const [, h, w, c] = train.set.shape;
  const views = options.tta ? ttaViewsFor(options.augment, h === w) : [];
  const logitsOf = (set: ImageSet) => ensembleLogits(logitsModels, set, training.normalisation, views);
  const { temperature, referBelow, operatingPoints } = chooseCalibration(logitsOf(calibration.set), calibration.set.labels, classes, options);
  const { report, testOutput } = evaluateOnTest(test, { logitsOf, classes, coarseSets, temperature, seed, onProgress: options.onProgress });

  options.onProgress?.({ kind: 'stage', message: 'fitting the out-of-distribution check on training and validation images' });
  const ood = fitOutOfDistribution({ model: training.model, normalisation: training.normalisation, numClasses, train: train.set, val: val.set, rawTrain: sets.train.set, rawVal: sets.val.set, seed });

  options.onProgress?.({ kind: 'stage', message: 'saving the model bundle' });
  const further = ensemble.members.slice(1);
  const metadata = await saveBundle(bundleDir, {
    model: training.model,
    members: further.map((member) => ({ model: member.model, seed: member.config.seed })),
    metadata: {
      architecture: { name: training.config.model, width: training.config.width, seed: training.config.seed },
      classes,
      labelTree: options.labelTree,
      input: { height: h, width: w, channels: c as 1 | 3, fit: options.fit ?? 'cover', mean: training.normalisation.mean, std: training.normalisation.std, ...(options.pxPerUm ? { pxPerUm: options.pxPerUm } : {}), ...(stain ? { stain } : {}), ...(views.length > 1 ? { tta: views } : {}) },
      temperature,
      referBelow,
      operatingPoints,
      training: trainingRecord(training, options, counts, further),
      dataHash: options.dataHash,
      metrics: report && testOutput ? { test: summariseTestReport(report, operatingPointOutcomes(testOutput.set.labels, testOutput.probabilities, classes, operatingPoints)) } : undefined,
      ood,
    },
    onnx: { bytes: exportEnsembleToOnnx(ensemble.members.map((member) => member.model), { extraOutputs: [FEATURE_LAYER_NAME] }), outputs: [PROBABILITIES_LAYER_NAME, FEATURE_LAYER_NAME] },
  });
  further.forEach((member) => member.model.dispose());
  await writeFile(join(options.runDir, 'run.json'), JSON.stringify({ metadata: { ...metadata, weights: undefined }, report, splits: counts }, null, 2));
  return { status: training.status, report, metadata, bundleDir, trainSeconds: training.seconds, temperature, counts, skipped: 0, test: testOutput, training, operatingPoints, referBelow, splits };
}

/** The sets with their stains normalised to a reference estimated on the training images, when options ask for it. */
function withStainNormalisation(sets: { train: LabelledSet; val: LabelledSet; test: LabelledSet | null }, options: FitSetsOptions, seed: number) {
  const stain = options.stainNormalisation && options.stainNormalisation !== 'none' ? stainReferenceOf(sets.train.set, options.stainNormalisation, seed) : undefined;
  if (stain) options.onProgress?.({ kind: 'stage', message: `${stain.method} stain normalisation` });
  const normalise = (set: ImageSet): ImageSet => (stain ? normaliseSetStains(set, stain) : set);
  return {
    train: { ...sets.train, set: normalise(sets.train.set) },
    val: { ...sets.val, set: normalise(sets.val.set) },
    test: sets.test && { ...sets.test, set: normalise(sets.test.set) },
    stain,
  };
}

interface TestEvaluationContext {
  /** The logits the bundle serves (an ensemble's mean, test-time views): log-probabilities before the temperature. */
  logitsOf: (set: ImageSet) => Float32Array;
  classes: string[];
  coarseSets: number[][];
  temperature: number;
  seed: number;
  onProgress?: (event: FitProgress) => void;
}

/** The report on the test images labelled with a class, and the calibrated test probabilities (those of coarse-labelled images apart); nulls without such images. */
function evaluateOnTest(test: LabelledSet | null, context: TestEvaluationContext): { report: ClassifierReport | null; testOutput: FitResult['test'] } {
  const { logitsOf, classes, coarseSets, temperature, seed } = context;
  const numClasses = classes.length;
  const testParts = test && splitByLabelKind(test, numClasses);
  if (!testParts || testParts.classLabelled.set.labels.length === 0) return { report: null, testOutput: null };
  const tested = testParts.classLabelled;
  context.onProgress?.({ kind: 'stage', message: 'evaluating on the test split' });
  const testLogits = logitsOf(tested.set);
  const probabilities = applyTemperature(testLogits, temperature, numClasses);
  const report = evaluateClassifier({ labels: tested.set.labels, probabilities, classNames: classes, groups: tested.groups, seed });
  const testOutput: NonNullable<FitResult['test']> = { set: tested.set, samples: [], groups: tested.groups, probabilities, uncalibratedProbabilities: applyTemperature(testLogits, 1, numClasses) };
  if (testParts.coarse) {
    const { set, groups } = testParts.coarse;
    const coarseProbabilities = applyTemperature(logitsOf(set), temperature, numClasses);
    testOutput.coarse = { labels: set.labels.map((label) => label - numClasses), classSets: coarseSets, probabilities: coarseProbabilities, groups };
  }
  return { report, testOutput };
}

/** How the model was trained, as the bundle records it. */
function trainingRecord(training: TrainResult, options: FitSetsOptions, counts: FitResult['counts'], further: TrainResult[]) {
  return {
    config: training.config,
    augment: options.augment ? augmentPipeline(options.augment).describe() : [],
    status: training.status,
    bestEpoch: training.bestEpoch,
    history: training.history,
    seconds: training.seconds,
    counts,
    workers: options.createStepRunner ? null : (options.workers ?? 1),
    engine: engineInfo(),
    ...(further.length > 0 ? { ensemble: further.map((member) => ({ seed: member.config.seed, status: member.status, bestEpoch: member.bestEpoch, history: member.history, seconds: member.seconds })) } : {}),
  };
}

function classIndexOf(classes: string[], name: string, node: string): number {
  const index = classes.indexOf(name);
  if (index === -1) throw new Error(`coarse label "${node}" stands for "${name}", which is not one of the classes`);
  return index;
}

/** A labelled set cut into the images labelled with a class and those with a coarse label (null when none). */
function splitByLabelKind(part: LabelledSet, numClasses: number): { classLabelled: LabelledSet; coarse: LabelledSet | null } {
  const rows = (coarse: boolean) => Array.from(part.set.labels.keys()).filter((i) => part.set.labels[i] >= numClasses === coarse);
  const coarseRows = rows(true);
  if (coarseRows.length === 0) return { classLabelled: part, coarse: null };
  const pick = (indices: number[]): LabelledSet => ({ set: subsetImageSet(part.set, indices), groups: part.groups && indices.map((i) => part.groups![i]) });
  return { classLabelled: pick(rows(false)), coarse: pick(coarseRows) };
}

/** Images per class (coarse-labelled images are not counted). */
function splitCard(name: string, part: LabelledSet, numClasses: number): DatasetSplit {
  const classCounts = new Array<number>(numClasses).fill(0);
  for (const label of part.set.labels) if (label < numClasses) classCounts[label]++;
  return { name, classCounts, patients: part.groups ? new Set(part.groups).size : null };
}
