import { basename } from 'node:path';
import sharp from 'sharp';
import type { Sample } from '../data/index.ts';
import { evaluateClassifier, type ClassifierReport } from '../evaluate/index.ts';
import { aggregateProbabilities, treeLevels, type LabelTreeNode } from '../models/index.ts';
import { buildReportData, mostConfidentErrors, writeReport, type NamedReport, type ReportInput } from '../report/index.ts';
import type { ImageSet } from '../train/index.ts';
import type { FitResult } from './fit.ts';

export interface FitReportOptions {
  title: string;
  /** What the data is, for the dataset card. */
  description: string;
  classes: string[];
  labelTree?: readonly LabelTreeNode[];
  seed: number;
  /** Cross-validation fold reports, when the run was one of several folds. */
  folds?: ClassifierReport[];
  /** Most confident errors shown as thumbnails (default 12). */
  errorCount?: number;
  /** Further reports shown beside the label-tree levels (e.g. per microscope field). */
  extraLevels?: NamedReport[];
}

/** Metrics of every coarser level of the label tree (e.g. Gram group), probabilities summed up the tree. */
export function levelReports(labels: Int32Array, probabilities: Float32Array, classes: string[], tree: readonly LabelTreeNode[], seed: number, groups?: string[]): NamedReport[] {
  return treeLevels(tree, classes).map((level) => ({
    name: level.depth === 0 ? 'Top level of the label tree' : `Label tree level ${level.depth + 1}`,
    report: evaluateClassifier({
      labels: Int32Array.from(labels, (label) => level.classToGroup[label]),
      probabilities: aggregateProbabilities(probabilities, level),
      classNames: level.names,
      groups,
      seed,
    }),
  }));
}

/** Metrics on each stain and each device, when the samples name several. */
export function sliceReports(samples: readonly Sample[], labels: Int32Array, probabilities: Float32Array, classes: string[], seed: number): NamedReport[] {
  const k = classes.length;
  const slices: NamedReport[] = [];
  for (const column of ['stain', 'device', 'specimen'] as const) {
    const values = [...new Set(samples.map((s) => s[column]).filter((v): v is string => Boolean(v)))].sort();
    if (values.length < 2) continue;
    for (const value of values) {
      const rows = samples.flatMap((s, i) => (s[column] === value ? [i] : []));
      slices.push({
        name: `${column}: ${value}`,
        report: evaluateClassifier({
          labels: Int32Array.from(rows, (i) => labels[i]),
          probabilities: Float32Array.from({ length: rows.length * k }, (_, j) => probabilities[rows[Math.floor(j / k)] * k + (j % k)]),
          classNames: classes,
          groups: rows.map((i) => samples[i].patientId),
          seed,
          bootstrapIterations: 200,
        }),
      });
    }
  }
  return slices;
}

async function thumbnail(set: ImageSet, index: number): Promise<Uint8Array> {
  const [, h, w, c] = set.shape;
  const size = h * w * c;
  const pixels = Buffer.alloc(size);
  for (let i = 0; i < size; i++) pixels[i] = Math.round(Math.min(1, Math.max(0, set.images[index * size + i] / (set.images instanceof Uint8Array ? 255 : 1))) * 255);
  return new Uint8Array(await sharp(pixels, { raw: { width: w, height: h, channels: c as 1 | 3 } }).resize({ width: 96, height: 96, fit: 'inside', kernel: 'nearest' }).png().toBuffer());
}

/** The report input of a fit's test evaluation: curves, calibration, operating points, errors, levels, slices, dataset card. */
export async function fitReportInput(result: FitResult, options: FitReportOptions): Promise<ReportInput> {
  if (!result.test || !result.metadata) throw new Error('this run has no test evaluation to report (it was cancelled or had no test split)');
  const { set, samples, probabilities, uncalibratedProbabilities, groups } = result.test;
  const { classes, seed } = options;
  const errors = await Promise.all(
    mostConfidentErrors(set.labels, probabilities, classes.length, options.errorCount ?? 12).map(async (error) => ({
      ...error,
      source: samples[error.index] ? basename(samples[error.index].path) : `test image ${error.index}`,
      thumbnailPng: await thumbnail(set, error.index),
    })),
  );
  const { architecture, input } = result.metadata;
  return {
    title: options.title,
    model: `${architecture.name}${architecture.width ? ` (width ${architecture.width})` : ''}, ${input.height}×${input.width}×${input.channels}`,
    classNames: classes,
    labels: set.labels,
    probabilities,
    uncalibratedProbabilities,
    groups,
    seed,
    temperature: result.temperature,
    referral: result.referBelow === undefined ? undefined : { confidenceLevel: result.referBelow },
    operatingPoints: result.operatingPoints,
    datasetCard: {
      description: options.description,
      splits: result.splits,
      imageSize: { width: input.width, height: input.height, channels: input.channels },
      config: { training: result.training.config, augment: result.metadata.training?.augment ?? null, dataHash: result.metadata.dataHash ?? null },
      seed,
    },
    errors,
    levels: nonEmpty([...(options.labelTree ? levelReports(set.labels, probabilities, classes, options.labelTree, seed, groups) : []), ...(options.extraLevels ?? [])]),
    slices: samples.length === set.labels.length ? sliceReports(samples, set.labels, probabilities, classes, seed) : undefined,
    folds: options.folds,
  };
}

function nonEmpty<T>(items: T[]): T[] | undefined {
  return items.length > 0 ? items : undefined;
}

/** Writes report.html and report.json for a fit into `outDir`. */
export async function writeFitReport(outDir: string, result: FitResult, options: FitReportOptions): Promise<{ htmlPath: string; jsonPath: string }> {
  return writeReport(outDir, buildReportData(await fitReportInput(result, options)));
}
