import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { kFoldByPatient, parseCsv, readFolderDataset, splitByPatient, type Dataset, type Sample } from '../../src/data/index.ts';
import { confusionMatrix, macroF1 } from '../../src/evaluate/index.ts';
import type { ImageSet } from '../../src/train/index.ts';

/** One fold of a real dataset: the model fits on train (and calibrates on val), and is scored on test once. */
export interface RealFold {
  fold: number;
  splits: { train: Sample[]; val: Sample[]; test: Sample[] };
}

export interface RealDataset {
  dataset: Dataset;
  folds: RealFold[];
}

/** Share of the non-test images held out for validation (calibration and the referral level). */
const VALIDATION_FRACTION = 0.2;

/**
 * BCCD white cells on exactly the folds of its folds.csv (path,label,fold): fold f is tested on, the
 * other four train, a seeded, class-stratified fifth of them held out for validation. Every photo
 * is its own patient. Null when the folder is absent.
 */
export async function bccdFolds(root: string, seed: number): Promise<RealDataset | null> {
  const foldsCsv = join(root, 'folds.csv');
  if (!existsSync(foldsCsv)) return null;
  const [header, ...rows] = parseCsv(await readFile(foldsCsv, 'utf8')).map((record) => record.fields.map((field) => field.trim()));
  const column = (name: string) => header.indexOf(name);
  const [pathAt, labelAt, foldAt] = [column('path'), column('label'), column('fold')];
  if (Math.min(pathAt, labelAt, foldAt) < 0) throw new Error(`${foldsCsv} needs the columns path,label,fold; found ${header.join(',')}`);
  const samples = rows.filter((row) => row.length > 1).map((row) => ({ path: join(root, row[pathAt]), label: row[labelAt], patientId: basename(row[pathAt]), fold: Number(row[foldAt]) }));
  const classes = [...new Set(samples.map((s) => s.label))].sort();
  const foldIds = [...new Set(samples.map((s) => s.fold))].sort((a, b) => a - b);
  const dataset: Dataset = { root, classes, samples: samples.map(({ fold: _, ...sample }) => sample) };
  const folds = foldIds.map((fold) => {
    const strip = (list: typeof samples) => list.map(({ fold: _, ...sample }) => sample);
    const rest = splitByPatient(strip(samples.filter((s) => s.fold !== fold)), { fractions: { train: 1 - VALIDATION_FRACTION, val: VALIDATION_FRACTION, test: 0 }, seed });
    return { fold, splits: { train: rest.train, val: rest.val, test: strip(samples.filter((s) => s.fold === fold)) } };
  });
  return { dataset, folds };
}

/**
 * GramStainR species: the reference-strain and DIBaS photos (class folders, 3 species), in K
 * class-stratified folds split by photo, validation as for BCCD. Null when a folder is absent.
 */
export async function gramStainSpeciesFolds(root: string, k: number, seed: number): Promise<RealDataset | null> {
  const parts = ['reference', 'dibas'].map((part) => join(root, part));
  if (!parts.every(existsSync)) return null;
  const read = await Promise.all(parts.map((part) => readFolderDataset(part)));
  const samples = read.flatMap((part) => part.samples.map((sample) => ({ ...sample, patientId: sample.path })));
  const dataset: Dataset = { root, classes: [...new Set(read.flatMap((part) => part.classes))].sort(), samples };
  const folds = kFoldByPatient(samples, k, seed).map(({ fold, train, val: test }) => {
    const rest = splitByPatient(train, { fractions: { train: 1 - VALIDATION_FRACTION, val: VALIDATION_FRACTION, test: 0 }, seed });
    return { fold, splits: { train: rest.train, val: rest.val, test } };
  });
  return { dataset, folds };
}

/** Macro-F1 of the argmax of probabilities (n × k). */
export function macroF1Of(labels: Int32Array, probabilities: Float32Array, k: number): number {
  const predicted = Int32Array.from(labels, (_, i) => {
    let best = 0;
    for (let c = 1; c < k; c++) if (probabilities[i * k + c] > probabilities[i * k + best]) best = c;
    return best;
  });
  return macroF1(confusionMatrix(labels, predicted, k));
}

/** Debian's python with torch, or null when torch does not import. */
export function torchPython(): string | null {
  for (const python of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return python;
  }
  return null;
}

export interface PytorchRun {
  probabilities: Float32Array;
  seconds: number;
}

/**
 * The plain PyTorch baseline of bccd-wbc/SOURCE.txt (bench/pytorch_baseline.py) on packed sets of
 * square images: trains on `train` for `epochs`, returns its probabilities on `test`.
 */
export async function runPytorchBaseline(python: string, workDir: string, train: ImageSet, test: ImageSet, options: { classes: number; epochs: number; seed: number }): Promise<PytorchRun> {
  const [, size, , channels] = train.shape;
  const toBytes = (set: ImageSet) => (set.images instanceof Uint8Array ? set.images : Uint8Array.from(set.images, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255)));
  const trainFile = join(workDir, 'pytorch-train.u8');
  const testFile = join(workDir, 'pytorch-test.u8');
  const jobFile = join(workDir, 'pytorch-job.json');
  await writeFile(trainFile, toBytes(train));
  await writeFile(testFile, toBytes(test));
  const job = { train: trainFile, test: testFile, n_train: train.shape[0], n_test: test.shape[0], size, channels, classes: options.classes, train_labels: [...train.labels], epochs: options.epochs, seed: options.seed, threads: 2 };
  await writeFile(jobFile, JSON.stringify(job));
  const run = spawnSync(python, [join(import.meta.dirname, '../pytorch_baseline.py'), jobFile], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`the PyTorch baseline failed: ${run.stderr.trim().split('\n').pop()}`);
  const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as { probabilities: number[][]; seconds: number };
  return { probabilities: Float32Array.from(result.probabilities.flat()), seconds: result.seconds };
}
