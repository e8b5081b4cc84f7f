import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabelTreeNode } from '../contract/index.ts';
import { buildManifestFromFilenames, isImageFile, readFolderDataset, readManifest, type Dataset, type Sample } from '../data/index.ts';
import { initEngine, type BackendChoice, BACKEND_CHOICES, type EngineInfo } from '../engine/index.ts';
import type { ModelBundle } from '../inference/index.ts';
import type { FitProgress } from '../pipeline/index.ts';
import type { CliContext, OptionValues } from './command.ts';
import { UsageError, stringOption } from './command.ts';
import { ProgressLine, formatDuration } from './progress.ts';

/** Starts the engine on the backend --backend names (BACKEND_OPTION). */
export async function startEngine(values: OptionValues, context: CliContext, quiet = false): Promise<EngineInfo> {
  const backend = (stringOption(values, 'backend') ?? 'auto') as BackendChoice;
  if (!BACKEND_CHOICES.includes(backend)) throw new UsageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}; got "${backend}"`);
  const info = await initEngine({ backend });
  if (!quiet) context.err(`engine: ${info.backend} (${info.reason})`);
  return info;
}

/**
 * A folder-per-class tree, or a CSV manifest when the path ends in .csv; labels may name nodes of
 * labelTree. With a specimen pattern (class-folder trees only; each folder is a class), images are
 * grouped by the specimen their file name names instead of one patient per file.
 */
export async function loadDatasetArg(path: string | undefined, labelTree?: readonly LabelTreeNode[], specimenPattern?: RegExp): Promise<Dataset> {
  if (!path) throw new UsageError('give the dataset: a folder with one subfolder per class, or a CSV manifest');
  if (!existsSync(path)) throw new Error(`dataset not found: ${path}`);
  const isManifest = path.toLowerCase().endsWith('.csv');
  if (specimenPattern) {
    if (isManifest) throw new UsageError('--specimen-pattern reads class-folder trees; a manifest names its patients in its patient_id column');
    return buildManifestFromFilenames(path, { pattern: specimenPattern });
  }
  return isManifest ? readManifest(path, { labelTree }) : readFolderDataset(path, { labelTree });
}

export interface ClassifiedSamples {
  /** Class index of each readable sample, in the order given. */
  labels: Int32Array;
  groups: string[];
  /** n × classes, calibrated with the bundle's temperature or the model's own softmax. */
  probabilities: Float32Array;
  /** Samples whose image could not be decoded. */
  skipped: number;
}

/**
 * Classifies samples labelled with the classifier's classes, decoding a few at a time (full-size
 * photos are large); unreadable images are counted and left out. Fails when none can be read.
 */
export async function classifySamples(classifier: ModelBundle, samples: readonly Sample[], line: ProgressLine, kind: 'calibrated' | 'uncalibrated'): Promise<ClassifiedSamples> {
  const index = new Map(classifier.classes.map((name, i) => [name, i]));
  const labels: number[] = [];
  const groups: string[] = [];
  const chunks: Float32Array[] = [];
  const chunk = 16;
  let skipped = 0;
  for (let start = 0; start < samples.length; start += chunk) {
    const part = samples.slice(start, start + chunk);
    const decoded = await Promise.allSettled(part.map((sample) => classifier.decode([sample.path]).then(([image]) => image)));
    const images = decoded.flatMap((result, i) => {
      if (result.status === 'rejected') {
        skipped++;
        return [];
      }
      labels.push(index.get(part[i].label)!);
      groups.push(part[i].patientId);
      return [result.value];
    });
    if (images.length > 0) chunks.push(kind === 'calibrated' ? await classifier.probabilities(images) : await classifier.uncalibratedProbabilities(images));
    line.update(Math.min(1, (start + chunk) / samples.length), `classified ${Math.min(start + chunk, samples.length)}/${samples.length}`);
  }
  if (labels.length === 0) throw new Error('no image of the dataset could be decoded');
  const probabilities = new Float32Array(labels.length * classifier.classes.length);
  let offset = 0;
  for (const part of chunks) {
    probabilities.set(part, offset);
    offset += part.length;
  }
  return { labels: Int32Array.from(labels), groups, probabilities, skipped };
}

/** Image files named directly or found (recursively) in the folders named. */
export async function collectImagePaths(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    if (!existsSync(path)) throw new Error(`not found: ${path}`);
    if (statSync(path).isDirectory()) {
      const entries = await readdir(path, { recursive: true, withFileTypes: true });
      files.push(
        ...entries
          .filter((entry) => entry.isFile() && isImageFile(entry.name))
          .map((entry) => join(entry.parentPath ?? path, entry.name))
          .sort(),
      );
    } else {
      files.push(path);
    }
  }
  if (files.length === 0) throw new Error(`no image files (${['jpg', 'png', 'tif', 'webp'].join(', ')}) in ${paths.join(', ')}`);
  return files;
}

/** Renders fit progress as a live bar with ETA, loss and accuracy; epoch summaries as permanent lines. */
export function fitProgressPrinter(line: ProgressLine): (event: FitProgress) => void {
  return (event) => {
    if (event.kind === 'decode') {
      line.update(event.done / event.total, `decoding ${event.split} images ${event.done}/${event.total}`);
      if (event.done === event.total) line.log(`decoded ${event.total} ${event.split} images`);
    } else if (event.kind === 'stage') {
      line.log(event.message);
    } else {
      const e = event.event;
      if (e.kind === 'step') {
        const fraction = (e.epoch * e.stepsPerEpoch + e.step) / (e.epochs * e.stepsPerEpoch);
        line.update(
          fraction,
          `epoch ${e.epoch + 1}/${e.epochs} step ${e.step}/${e.stepsPerEpoch} loss ${e.loss.toFixed(3)} acc ${(e.accuracy * 100).toFixed(1)}% ${e.imagesPerSecond.toFixed(0)} img/s ETA ${formatDuration(e.etaSeconds)}`,
        );
      } else if (e.kind === 'epoch') {
        const r = e.record;
        line.log(
          `epoch ${r.epoch + 1}/${e.epochs}: loss ${r.loss.toFixed(3)} acc ${(r.accuracy * 100).toFixed(1)}% | val loss ${r.valLoss.toFixed(3)} acc ${(r.valAccuracy * 100).toFixed(1)}% bal ${(r.valBalancedAccuracy * 100).toFixed(1)}% | ${r.seconds.toFixed(1)} s${e.improved ? ' *' : ''}`,
        );
      } else if (e.kind === 'resumed') {
        line.log(`resumed from the checkpoint at epoch ${e.epoch + 1}, step ${e.step}`);
      }
    }
  };
}
