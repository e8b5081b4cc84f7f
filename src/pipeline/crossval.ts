import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { assertPatientDisjoint, kFoldByPatient, labelNames, splitByPatient, type Dataset, type PatientFold, type ResizePolicy, type Sample, type SkippedImage } from '../data/index.ts';
import { summariseFolds, type ClassifierReport, type FoldSummary } from '../evaluate/index.ts';
import { buildReportData, treeDisplayNames, writeReport, type DatasetSplit, type FoldRunInput, type ReportInput, type WrittenReport } from '../report/index.ts';
import type { LabelTreeNode } from '../contract/index.ts';
import { subsetImageSet, type ImageSet } from '../train/index.ts';
import { hashSeed } from '../util/index.ts';
import { fitImageSets, type FitOptions, type FitProgress, type FitResult, type LabelledSet } from './fit.ts';
import { OutOfFoldPool, type OutOfFoldPredictions } from './out-of-fold.ts';
import { datasetHash, prepareImageSet, type PreparedSet } from './prepare.ts';
import { confidentErrorExamples, levelReports, sliceReports, writeFitReport } from './report.ts';

export interface CrossValidateOptions extends Omit<FitOptions, 'splits' | 'fractions' | 'bundleDir' | 'dataHash' | 'onProgress'> {
  /** Number of patient-grouped, class-stratified folds. */
  folds: number;
  /** Share of the training part's patients held back for early stopping and calibration. Default 0.2. */
  validationFraction?: number;
  /** Title of the reports; default "K-fold cross-validation of <dataset folder>". */
  title?: string;
  /** What the data is, for the dataset card; default the dataset folder with its counts. */
  description?: string;
  /** The dataset is synthetic: every report says so at the top. */
  synthetic?: boolean;
  /**
   * Images added to the training part of every fold and never validated or tested on (e.g.
   * reference strains or another collection): the folds, and so every reported figure, stay on
   * the dataset's own patients. Its labels must be classes of the dataset.
   */
  trainOnly?: Dataset[];
  onProgress?: (event: CrossValidationProgress) => void;
}

export type CrossValidationProgress =
  | { kind: 'decode'; done: number; total: number }
  | { kind: 'fold-start'; fold: number; folds: number; counts: FoldCounts }
  | { kind: 'fold'; fold: number; folds: number; event: FitProgress }
  | { kind: 'fold-done'; fold: number; folds: number; report: ClassifierReport; trainSeconds: number };

type FoldCounts = Record<'train' | 'val' | 'test', number>;

/** Who is in which part of a fold: train and val fit the model, test is the fold's held-out part. */
export interface FoldRun {
  fold: number;
  patients: Record<'train' | 'val' | 'test', string[]>;
  counts: FoldCounts;
  bundleDir: string;
  /** The fold's own report on its held-out patients. */
  reportPath: string;
  trainSeconds: number;
  bestEpoch: number;
  epochsRun: number;
  temperature: number;
}

export interface CrossValidationResult {
  status: 'completed' | 'cancelled';
  /** The report of each completed fold on its held-out patients. */
  folds: ClassifierReport[];
  /** Mean ± SD over the completed folds; null when none completed. */
  summary: FoldSummary | null;
  runs: FoldRun[];
  skipped: SkippedImage[];
  outOfFold: OutOfFoldPredictions;
  /** The report of the pooled out-of-fold predictions; null unless every fold completed. */
  report: WrittenReport | null;
}

/**
 * Patient-grouped k-fold cross-validation: each fold trains one model on the other folds' patients
 * (minus a patient-grouped slice for early stopping and temperature scaling) and is evaluated on its
 * own held-out patients. Images are decoded once. Writes crossval.json and each fold's report to
 * runDir, and once every fold completed, report.html/report.json of the pooled held-out predictions.
 */
export async function crossValidate(dataset: Dataset, options: CrossValidateOptions): Promise<CrossValidationResult> {
  const seed = options.seed ?? options.train?.seed ?? 1;
  const validationFraction = options.validationFraction ?? 0.2;
  if (!(validationFraction > 0 && validationFraction < 1)) throw new Error(`validationFraction must be in (0, 1); got ${validationFraction}`);
  const data = await decodeAndFold(dataset, options, seed);
  const { prepared, folds, dataHash } = data;
  const title = options.title ?? `${options.folds}-fold cross-validation of ${basename(dataset.root)}`;
  const pooled = new OutOfFoldPool(prepared.samples.length, dataset.classes.length);

  const reports: ClassifierReport[] = [];
  const runs: FoldRun[] = [];
  let firstFit: FitResult | null = null;
  let status: CrossValidationResult['status'] = 'completed';
  for (const fold of folds) {
    if (options.signal?.aborted) {
      status = 'cancelled';
      break;
    }
    const done = await runFold(fold, data, pooled, { dataset, options, seed, validationFraction, title, foldCount: folds.length });
    if (!done) {
      status = 'cancelled';
      break;
    }
    firstFit ??= done.fit;
    reports.push(done.report);
    runs.push(done.run);
    options.onProgress?.({ kind: 'fold-done', fold: fold.fold, folds: folds.length, report: done.report, trainSeconds: done.fit.trainSeconds });
  }

  const summary = reports.length > 0 ? summariseFolds(reports) : null;
  const outOfFold = pooled.predictions(prepared.set, prepared.samples);
  await mkdir(options.runDir, { recursive: true });
  const report =
    status === 'completed' && firstFit
      ? await writeReport(
          options.runDir,
          buildReportData(
            await pooledReportInput(outOfFold, reports, runs, firstFit, {
              ...options,
              seed,
              validationFraction,
              title,
              description: data.description,
              classes: dataset.classes,
              set: subsetImageSet(prepared.set, pooled.rows()),
              dataHash,
            }),
          ),
        )
      : null;
  const record = { status, folds: reports, summary, runs, skipped: prepared.skipped, report };
  await writeFile(join(options.runDir, 'crossval.json'), JSON.stringify(record, null, 2));
  return { ...record, outOfFold };
}

interface IndexedRecord {
  label: string;
  patientId: string;
  /** Row in the decoded set. */
  index: number;
}

/** The dataset (and the training-only images) decoded once, and its own images cut into patient-grouped folds. */
interface FoldedData {
  prepared: PreparedSet;
  trainOnlyRecords: IndexedRecord[];
  folds: PatientFold<IndexedRecord>[];
  dataHash: string;
  description: string;
}

async function decodeAndFold(dataset: Dataset, options: CrossValidateOptions, seed: number): Promise<FoldedData> {
  const policy: ResizePolicy = { size: options.size, channels: options.channels ?? 3, fit: options.fit ?? 'cover' };
  const trainOnly = trainOnlySamples(dataset, options.trainOnly);
  const prepared = await prepareImageSet([...dataset.samples, ...trainOnly], labelNames(dataset), policy, {
    strict: options.strict,
    cacheDir: options.cacheDir,
    onProgress: (done, total) => options.onProgress?.({ kind: 'decode', done, total }),
  });
  const isTrainOnly = new Set(trainOnly);
  const records = prepared.samples.map((sample, index) => ({ label: sample.label, patientId: sample.patientId, index }));
  const trainOnlyRecords = records.filter((record) => isTrainOnly.has(prepared.samples[record.index]));
  const folds = kFoldByPatient(
    records.filter((record) => !isTrainOnly.has(prepared.samples[record.index])),
    options.folds,
    seed,
  );
  const dataHash = datasetHash({ ...dataset, samples: [...dataset.samples, ...trainOnly] });
  const description =
    options.description ??
    describeDataset(dataset, prepared.samples.filter((sample) => !isTrainOnly.has(sample))) +
      (trainOnlyRecords.length > 0 ? `; plus ${trainOnlyRecords.length} training-only images (${(options.trainOnly ?? []).map((extra) => basename(extra.root)).join(', ')}) in every fold's training part` : '');
  return { prepared, trainOnlyRecords, folds, dataHash, description };
}

interface FoldContext {
  dataset: Dataset;
  options: CrossValidateOptions;
  seed: number;
  validationFraction: number;
  title: string;
  foldCount: number;
}

/**
 * Fits one fold (its training part minus a validation slice of patients), pools its held-out
 * predictions and writes its report; null when the fit was cancelled.
 */
async function runFold(
  { fold, train: trainingPart, val: heldOut }: PatientFold<IndexedRecord>,
  data: FoldedData,
  pooled: OutOfFoldPool,
  context: FoldContext,
): Promise<{ fit: FitResult; report: ClassifierReport; run: FoldRun } | null> {
  const { dataset, options, seed, validationFraction, title, foldCount } = context;
  const { prepared } = data;
  const inner = splitByPatient(trainingPart, { fractions: { train: 1 - validationFraction, val: validationFraction, test: 0 }, seed: hashSeed(seed, fold) });
  const parts = { train: [...inner.train, ...data.trainOnlyRecords], val: inner.val, test: heldOut };
  assertPatientDisjoint(parts);
  const labelled = (part: keyof typeof parts): LabelledSet => ({
    set: subsetImageSet(prepared.set, parts[part].map((r) => r.index)),
    groups: parts[part].map((r) => r.patientId),
  });
  const counts = { train: parts.train.length, val: parts.val.length, test: parts.test.length };
  options.onProgress?.({ kind: 'fold-start', fold, folds: foldCount, counts });

  const runDir = join(options.runDir, `fold-${fold + 1}`);
  const fit = await fitImageSets({ train: labelled('train'), val: labelled('val'), test: labelled('test') }, dataset.classes, {
    ...options,
    runDir,
    seed,
    fit: options.fit ?? 'cover',
    dataHash: data.dataHash,
    coarseLabels: dataset.coarseLabels,
    onProgress: (event) => options.onProgress?.({ kind: 'fold', fold, folds: foldCount, event }),
  }).catch((error: Error) => {
    throw new Error(`fold ${fold + 1} of ${foldCount}: ${error.message}`);
  });
  if (fit.status === 'cancelled' || !fit.report || !fit.test) {
    fit.training.model.dispose();
    return null;
  }
  // The fold scores its held-out images that name a class, in order; those labelled only with a tree node are left out.
  const scored = parts.test.map((r) => r.index).filter((index) => prepared.set.labels[index] < dataset.classes.length);
  pooled.add(fold, scored, fit.test.probabilities, fit.test.uncalibratedProbabilities);
  const { htmlPath } = await writeFitReport(join(runDir, 'report'), { ...fit, test: { ...fit.test, samples: scored.map((i) => prepared.samples[i]) } }, {
    title: `${title}: fold ${fold + 1} of ${foldCount}, held-out patients`,
    description: data.description,
    classes: dataset.classes,
    labelTree: options.labelTree,
    seed,
    synthetic: options.synthetic,
  });
  fit.training.model.dispose();
  const run: FoldRun = {
    fold,
    patients: { train: distinct(parts.train), val: distinct(parts.val), test: distinct(parts.test) },
    counts,
    bundleDir: fit.bundleDir,
    reportPath: htmlPath,
    trainSeconds: fit.trainSeconds,
    bestEpoch: fit.training.bestEpoch,
    epochsRun: fit.training.history.length,
    temperature: fit.temperature,
  };
  return { fit, report: fit.report, run };
}

interface PooledReportContext {
  title: string;
  synthetic?: boolean;
  description: string;
  classes: string[];
  seed: number;
  folds: number;
  validationFraction: number;
  size: [number, number];
  channels?: 1 | 3;
  labelTree?: LabelTreeNode[];
  /** The decoded images of the out-of-fold rows, for the error thumbnails. */
  set: ImageSet;
  dataHash: string;
  runDir: string;
}

/** The report of every image predicted by the fold that held out its patient, with the folds' own reports beside it. */
async function pooledReportInput(outOfFold: OutOfFoldPredictions, reports: ClassifierReport[], runs: FoldRun[], firstFit: FitResult, context: PooledReportContext): Promise<ReportInput> {
  const { classes, seed, set } = context;
  const k = classes.length;
  const metadata = firstFit.metadata!;
  const { architecture, input } = metadata;
  const foldRuns: FoldRunInput[] = runs.map((run, i) => ({
    fold: run.fold,
    patients: run.patients,
    images: { ...run.counts, test: reports[i].sampleCount },
    bestEpoch: run.bestEpoch,
    epochsRun: run.epochsRun,
    temperature: run.temperature,
    reportPath: relative(context.runDir, run.reportPath).split(sep).join('/'),
  }));
  const groups = outOfFold.samples.map((sample) => sample.patientId);
  return {
    title: context.title,
    model: `${runs.length} × ${architecture.name}${architecture.width ? ` (width ${architecture.width})` : ''}, ${input.height}×${input.width}×${input.channels}, one per fold`,
    classNames: classes,
    labels: outOfFold.labels,
    probabilities: outOfFold.probabilities,
    uncalibratedProbabilities: outOfFold.uncalibratedProbabilities,
    groups,
    seed,
    datasetCard: {
      description: context.description,
      splits: [
        ...runs.map((run) => heldOutSplit(`Fold ${run.fold + 1} held out`, outOfFold, run.fold, k)),
        { name: 'All', classCounts: classCounts(outOfFold.labels, k), patients: new Set(groups).size },
      ],
      imageSize: { width: input.width, height: input.height, channels: input.channels },
      config: {
        crossValidation: { folds: context.folds, validationFraction: context.validationFraction, grouping: 'patient', stratified: true },
        size: context.size,
        channels: context.channels ?? 3,
        fit: input.fit,
        training: firstFit.training.config,
        augment: metadata.training?.augment ?? null,
        dataHash: context.dataHash,
      },
      seed,
    },
    errors: await confidentErrorExamples(set, outOfFold.probabilities, k, 12, (index) => `${basename(outOfFold.samples[index].path)} (fold ${outOfFold.fold[index] + 1})`),
    folds: reports,
    foldRuns,
    levels: context.labelTree ? nonEmpty(levelReports(outOfFold.labels, outOfFold.probabilities, classes, context.labelTree, seed, groups)) : undefined,
    slices: nonEmpty(sliceReports(outOfFold.samples, outOfFold.labels, outOfFold.probabilities, classes, seed)),
    displayNames: context.labelTree ? treeDisplayNames(context.labelTree) : undefined,
    synthetic: context.synthetic,
  };
}

function heldOutSplit(name: string, outOfFold: OutOfFoldPredictions, fold: number, k: number): DatasetSplit {
  const rows = Array.from(outOfFold.fold.keys()).filter((i) => outOfFold.fold[i] === fold);
  return {
    name,
    classCounts: classCounts(
      Int32Array.from(rows, (i) => outOfFold.labels[i]),
      k,
    ),
    patients: new Set(rows.map((i) => outOfFold.samples[i].patientId)).size,
  };
}

function classCounts(labels: Int32Array, k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (const label of labels) counts[label]++;
  return counts;
}

function nonEmpty<T>(items: T[]): T[] | undefined {
  return items.length > 0 ? items : undefined;
}

/** The training-only images as samples of their own patients (prefixed, so none shares a patient id with the dataset). */
function trainOnlySamples(dataset: Dataset, extras: readonly Dataset[] = []): Sample[] {
  const classes = new Set(dataset.classes);
  return extras.flatMap((extra) => {
    const unknown = [...new Set(extra.samples.map((sample) => sample.label))].filter((label) => !classes.has(label));
    if (unknown.length > 0) throw new Error(`the training-only images in ${extra.root} have classes the dataset does not: ${unknown.join(', ')} (classes: ${dataset.classes.join(', ')})`);
    return extra.samples.map((sample) => ({ ...sample, patientId: `train-only:${extra.root}:${sample.patientId}` }));
  });
}

function describeDataset(dataset: Dataset, samples: readonly Sample[]): string {
  const patients = new Set(samples.map((s) => s.patientId)).size;
  return `${basename(dataset.root)}: ${samples.length} images of ${patients} patients, ${dataset.classes.length} classes`;
}

function distinct(records: readonly { patientId: string }[]): string[] {
  return [...new Set(records.map((r) => r.patientId))].sort();
}
