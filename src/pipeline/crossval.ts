import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertPatientDisjoint, kFoldByPatient, splitByPatient, type Dataset, type ResizePolicy, type SkippedImage } from '../data/index.ts';
import { summariseFolds, type ClassifierReport, type FoldSummary } from '../evaluate/index.ts';
import { subsetImageSet } from '../train/index.ts';
import { hashSeed } from '../util/index.ts';
import { fitImageSets, type FitOptions, type FitProgress, type LabelledSet } from './fit.ts';
import { datasetHash, prepareImageSet } from './prepare.ts';

export interface CrossValidateOptions extends Omit<FitOptions, 'splits' | 'fractions' | 'bundleDir' | 'dataHash' | 'onProgress'> {
  /** Number of patient-grouped, class-stratified folds. */
  folds: number;
  /** Share of the training part's patients held back for early stopping and calibration. Default 0.2. */
  validationFraction?: number;
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
  trainSeconds: number;
  bestEpoch: number;
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
}

/**
 * Patient-grouped k-fold cross-validation: each fold trains one model on the other folds' patients
 * (minus a patient-grouped slice for early stopping and temperature scaling) and is evaluated on its
 * own held-out patients. Images are decoded once. Writes crossval.json to runDir.
 */
export async function crossValidate(dataset: Dataset, options: CrossValidateOptions): Promise<CrossValidationResult> {
  const seed = options.seed ?? options.train?.seed ?? 1;
  const validationFraction = options.validationFraction ?? 0.2;
  if (!(validationFraction > 0 && validationFraction < 1)) throw new Error(`validationFraction must be in (0, 1); got ${validationFraction}`);
  const policy: ResizePolicy = { size: options.size, channels: options.channels ?? 3, fit: options.fit ?? 'cover' };
  const prepared = await prepareImageSet(dataset.samples, dataset.classes, policy, {
    strict: options.strict,
    cacheDir: options.cacheDir,
    onProgress: (done, total) => options.onProgress?.({ kind: 'decode', done, total }),
  });
  const records = prepared.samples.map((sample, index) => ({ label: sample.label, patientId: sample.patientId, index }));
  const folds = kFoldByPatient(records, options.folds, seed);
  const dataHash = datasetHash(dataset);

  const reports: ClassifierReport[] = [];
  const runs: FoldRun[] = [];
  let status: CrossValidationResult['status'] = 'completed';
  for (const { fold, train: trainingPart, val: heldOut } of folds) {
    if (options.signal?.aborted) {
      status = 'cancelled';
      break;
    }
    const inner = splitByPatient(trainingPart, { fractions: { train: 1 - validationFraction, val: validationFraction, test: 0 }, seed: hashSeed(seed, fold) });
    const parts = { train: inner.train, val: inner.val, test: heldOut };
    assertPatientDisjoint(parts);
    const labelled = (part: keyof typeof parts): LabelledSet => ({
      set: subsetImageSet(prepared.set, parts[part].map((r) => r.index)),
      groups: parts[part].map((r) => r.patientId),
    });
    const counts = { train: parts.train.length, val: parts.val.length, test: parts.test.length };
    options.onProgress?.({ kind: 'fold-start', fold, folds: folds.length, counts });

    const runDir = join(options.runDir, `fold-${fold + 1}`);
    const fit = await fitImageSets({ train: labelled('train'), val: labelled('val'), test: labelled('test') }, dataset.classes, {
      ...options,
      runDir,
      seed,
      fit: policy.fit,
      dataHash,
      onProgress: (event) => options.onProgress?.({ kind: 'fold', fold, folds: folds.length, event }),
    }).catch((error: Error) => {
      throw new Error(`fold ${fold + 1} of ${folds.length}: ${error.message}`);
    });
    if (fit.status === 'cancelled' || !fit.report) {
      status = 'cancelled';
      break;
    }
    reports.push(fit.report);
    runs.push({
      fold,
      patients: { train: distinct(parts.train), val: distinct(parts.val), test: distinct(parts.test) },
      counts,
      bundleDir: fit.bundleDir,
      trainSeconds: fit.trainSeconds,
      bestEpoch: fit.training.bestEpoch,
      temperature: fit.temperature,
    });
    options.onProgress?.({ kind: 'fold-done', fold, folds: folds.length, report: fit.report, trainSeconds: fit.trainSeconds });
  }

  const summary = reports.length > 0 ? summariseFolds(reports) : null;
  const result: CrossValidationResult = { status, folds: reports, summary, runs, skipped: prepared.skipped };
  await mkdir(options.runDir, { recursive: true });
  await writeFile(join(options.runDir, 'crossval.json'), JSON.stringify(result, null, 2));
  return result;
}

function distinct(records: readonly { patientId: string }[]): string[] {
  return [...new Set(records.map((r) => r.patientId))].sort();
}
