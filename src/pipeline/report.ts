import { basename } from 'node:path';
import sharp from 'sharp';
import type { Sample } from '../data/index.ts';
import { evaluateClassifier, type ClassifierReport } from '../evaluate/index.ts';
import type { LabelTreeNode } from '../contract/index.ts';
import { aggregateProbabilities, treeLevels, type TreeLevel } from '../models/index.ts';
import { explain, renderOverlayPng } from '../explain/index.ts';
import { buildReportData, mostConfidentErrors, treeDisplayNames, writeReport, type ErrorExampleInput, type GalleryItemInput, type NamedReport, type ReportInput } from '../report/index.ts';
import { normaliseInPlace, type ImageSet, type Normalisation } from '../train/index.ts';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { CoarseTestImages, FitResult } from './fit.ts';

export interface FitReportOptions {
  title: string;
  /** What the data is, for the dataset card. */
  description: string;
  classes: string[];
  labelTree?: readonly LabelTreeNode[];
  seed: number;
  /** The test images are synthetic: the report says so at the top. */
  synthetic?: boolean;
  /** Cross-validation fold reports, when the run was one of several folds. */
  folds?: ClassifierReport[];
  /** Most confident errors shown as thumbnails (default 12). */
  errorCount?: number;
  /** Wrong predictions shown with their heatmap (and up to twice as many correct ones, one per class); default 6. */
  galleryCount?: number;
  /** Further reports shown beside the label-tree levels (e.g. per microscope field). */
  extraLevels?: NamedReport[];
}

/**
 * Metrics of every coarser level of the label tree (e.g. Gram group), probabilities summed up the
 * tree. Images labelled only with a tree node join the levels where that node lies within one group.
 */
export function levelReports(labels: Int32Array, probabilities: Float32Array, classes: string[], tree: readonly LabelTreeNode[], seed: number, groups?: string[], coarse?: CoarseTestImages): NamedReport[] {
  // A level with one group (a single root over every class) has nothing to tell apart.
  return treeLevels(tree, classes).filter((level) => level.names.length >= 2).map((level) => {
    const known = coarse ? coarseAtLevel(coarse, level) : { rows: [], groupLabels: [] };
    const k = classes.length;
    const joined = new Float32Array(probabilities.length + known.rows.length * k);
    joined.set(probabilities);
    known.rows.forEach((row, i) => joined.set(coarse!.probabilities.subarray(row * k, (row + 1) * k), probabilities.length + i * k));
    return {
      name: level.depth === 0 ? 'Top level of the label tree' : `Label tree level ${level.depth + 1}`,
      report: evaluateClassifier({
        labels: Int32Array.from([...Array.from(labels, (label) => level.classToGroup[label]), ...known.groupLabels]),
        probabilities: aggregateProbabilities(joined, level),
        classNames: level.names,
        groups: groups && coarse?.groups && known.rows.length > 0 ? [...groups, ...known.rows.map((row) => coarse.groups![row])] : groups,
        seed,
      }),
    };
  });
}

/** The coarse-labelled images whose node falls within one group of the level, with that group. */
function coarseAtLevel(coarse: CoarseTestImages, level: TreeLevel): { rows: number[]; groupLabels: number[] } {
  const groupOf = coarse.classSets.map((set) => (set.every((c) => level.classToGroup[c] === level.classToGroup[set[0]]) ? level.classToGroup[set[0]] : -1));
  const rows = Array.from(coarse.labels.keys()).filter((row) => groupOf[coarse.labels[row]] !== -1);
  return { rows, groupLabels: rows.map((row) => groupOf[coarse.labels[row]]) };
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

function pixelsOf(set: ImageSet, index: number): Buffer {
  const [, h, w, c] = set.shape;
  const size = h * w * c;
  const scale = set.images instanceof Uint8Array ? 1 : 255;
  const pixels = Buffer.alloc(size);
  for (let i = 0; i < size; i++) pixels[i] = Math.round(Math.min(255, Math.max(0, set.images[index * size + i] * scale)));
  return pixels;
}

async function thumbnail(set: ImageSet, index: number): Promise<Uint8Array> {
  const [, h, w, c] = set.shape;
  return new Uint8Array(await sharp(pixelsOf(set, index), { raw: { width: w, height: h, channels: c as 1 | 3 } }).resize({ width: 96, height: 96, fit: 'inside', kernel: 'nearest' }).png().toBuffer());
}

/** The most confident errors, most confident first, each with a thumbnail and its source named by sourceOf. */
export async function confidentErrorExamples(set: ImageSet, probabilities: Float32Array, k: number, count: number, sourceOf: (index: number) => string): Promise<ErrorExampleInput[]> {
  return Promise.all(
    mostConfidentErrors(set.labels, probabilities, k, count).map(async (error) => ({ ...error, source: sourceOf(error.index), thumbnailPng: await thumbnail(set, error.index) })),
  );
}

/** Grad-CAM of the predicted class blended over a test image, enlarged for the page. */
async function explanationThumbnail(model: tfl.LayersModel, set: ImageSet, index: number, normalisation: Normalisation, predicted: number): Promise<Uint8Array> {
  const [, h, w, c] = set.shape;
  const pixels = pixelsOf(set, index);
  const input = Float32Array.from(pixels, (v) => v / 255);
  normaliseInPlace(input, c, normalisation);
  const heatmap = explain(model, input, { method: 'gradcam', targetClass: predicted });
  const rgb = c === 3 ? pixels : Buffer.from(Array.from(pixels).flatMap((v) => [v, v, v]));
  const overlay = await renderOverlayPng({ data: new Uint8Array(rgb), width: w, height: h }, heatmap, { alpha: 0.45, colormap: 'turbo' });
  return new Uint8Array(await sharp(overlay).resize({ width: 128, height: 128, fit: 'inside', kernel: 'nearest' }).png().toBuffer());
}

/** The most confident correct and wrong test predictions, with their Grad-CAM. */
export interface GalleryPick {
  index: number;
  trueLabel: number;
  predicted: number;
  confidence: number;
}

/**
 * The test images the report's explanation gallery shows: the most confident correct prediction of
 * each class (so the gallery shows every morphotype), in class order, then the most confident errors.
 */
export function galleryPicks(labels: ArrayLike<number>, probabilities: Float32Array, perGroup: number): { correct: GalleryPick[]; wrong: GalleryPick[] } {
  const k = labels.length ? probabilities.length / labels.length : 0;
  const ranked = Array.from(labels, (label, index) => {
    let predicted = 0;
    for (let c = 1; c < k; c++) if (probabilities[index * k + c] > probabilities[index * k + predicted]) predicted = c;
    return { index, trueLabel: label, predicted, confidence: probabilities[index * k + predicted] };
  }).sort((a, b) => b.confidence - a.confidence || a.index - b.index);
  const bestCorrect = new Map<number, GalleryPick>();
  for (const pick of ranked) if (pick.predicted === pick.trueLabel && !bestCorrect.has(pick.trueLabel)) bestCorrect.set(pick.trueLabel, pick);
  const correct = [...bestCorrect.values()].sort((a, b) => a.trueLabel - b.trueLabel).slice(0, perGroup * 2);
  const wrong = ranked.filter((r) => r.predicted !== r.trueLabel).slice(0, perGroup);
  return { correct, wrong };
}

async function explanationGallery(result: FitResult, perGroup: number): Promise<GalleryItemInput[]> {
  const { set, samples, probabilities } = result.test!;
  const { correct, wrong } = galleryPicks(set.labels, probabilities, perGroup);
  return Promise.all(
    [...correct, ...wrong].map(async (item) => ({
      ...item,
      source: samples[item.index] ? basename(samples[item.index].path) : `test image ${item.index}`,
      method: 'Grad-CAM',
      overlayPng: await explanationThumbnail(result.training.model, set, item.index, result.training.normalisation, item.predicted),
    })),
  );
}

/** The report input of a fit's test evaluation: curves, calibration, operating points, errors, levels, slices, dataset card. */
export async function fitReportInput(result: FitResult, options: FitReportOptions): Promise<ReportInput> {
  if (!result.test || !result.metadata) throw new Error('this run has no test evaluation to report (it was cancelled or had no test split)');
  const { set, samples, probabilities, uncalibratedProbabilities, groups } = result.test;
  const { classes, seed } = options;
  const errors = await confidentErrorExamples(set, probabilities, classes.length, options.errorCount ?? 12, (index) =>
    samples[index] ? basename(samples[index].path) : `test image ${index}`,
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
    gallery: await explanationGallery(result, options.galleryCount ?? 6),
    levels: nonEmpty([...(options.labelTree ? levelReports(set.labels, probabilities, classes, options.labelTree, seed, groups, result.test.coarse) : []), ...(options.extraLevels ?? [])]),
    slices: samples.length === set.labels.length ? sliceReports(samples, set.labels, probabilities, classes, seed) : undefined,
    folds: options.folds,
    displayNames: options.labelTree ? treeDisplayNames(options.labelTree) : undefined,
    synthetic: options.synthetic,
  };
}

function nonEmpty<T>(items: T[]): T[] | undefined {
  return items.length > 0 ? items : undefined;
}

/** Writes report.html and report.json for a fit into `outDir`. */
export async function writeFitReport(outDir: string, result: FitResult, options: FitReportOptions): Promise<{ htmlPath: string; jsonPath: string }> {
  return writeReport(outDir, buildReportData(await fitReportInput(result, options)));
}
