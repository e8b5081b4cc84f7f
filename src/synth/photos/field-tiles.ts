import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { csvRow } from '../../data/index.ts';
import {
  CLASS_IDS,
  DEFAULT_FIELD_HEIGHT,
  DEFAULT_FIELD_WIDTH,
  DEFAULT_PX_PER_UM,
  MANIFEST_COLUMNS,
  resolveDifficulty,
  sampleSpecimen,
  type ClassId,
  type DifficultyOption,
} from '../index.ts';
import { createRng, type Rng } from '../../util/index.ts';
import { writeDirAtomically } from '../../io/index.ts';
import { writeFieldJob, type FieldJob, type FieldJobOptions, type FieldOutcome } from './field-tiles-job.ts';
import type { FieldWorkerRequest } from './field-tiles-worker.ts';

export { morphotypePixels, tileLabelFromCounts, type MaskRegion } from './field-tiles-job.ts';

/** Fields per class (one number for every class, or per class) in each named split. */
export type FieldSplitCounts = Readonly<Record<string, number | Partial<Record<ClassId, number>>>>;

export interface FieldTileDatasetOptions {
  /** E.g. { train: 30, val: 10, test: 20 }; a patient's fields all fall in one split. */
  fieldsPerClass: FieldSplitCounts;
  /** Default 1. */
  seed?: number;
  difficulty?: DifficultyOption;
  /** Rendered fields: default 1600 x 1200 at 9 px/µm, like generateField. */
  fieldWidth?: number;
  fieldHeight?: number;
  fieldPxPerUm?: number;
  /** Written tiles: the model's input side and scale (default 64 px at 6 px/µm) and the tiler's overlap (default 0.25, as processPhoto). */
  tileSizePx?: number;
  tilePxPerUm?: number;
  overlap?: number;
  /** Least mask area of a morphotype on a tile's region for it to count there (default 0.3 µm², ~40% of a 1 µm coccus). */
  minOrganismAreaUm2?: number;
  /** Share of organism-free (no_bacteria) tiles kept (default 0.2), so empty glass does not swamp training. */
  backgroundKeepRate?: number;
  /** At most this many tiles of one label per field, drawn at random (default 40): more fields, fewer near-copies. */
  maxTilesPerLabel?: number;
  /** Fields per patient (default 2). */
  fieldsPerPatient?: number;
  /** Threads rendering fields (default 1: this thread). */
  workers?: number;
  /** Replace an existing outDir (default false: refuse). */
  overwrite?: boolean;
  signal?: AbortSignal;
}

export interface FieldTileDatasetSummary {
  outDir: string;
  fields: number;
  patients: number;
  tiles: number;
  tilesPerClass: Record<ClassId, number>;
  fieldsPerSplit: Record<string, number>;
  /** Tiles left out by backgroundKeepRate or maxTilesPerLabel. */
  tilesDropped: number;
}

/** Raised whenever the same options and seed would write different files (2: tiles stored as lossless RGB, not as a palette). */
export const FIELD_TILES_FORMAT_VERSION = 2;

export const FIELD_TILE_DEFAULTS = {
  tileSizePx: 64,
  tilePxPerUm: 6,
  overlap: 0.25,
  minOrganismAreaUm2: 0.3,
  backgroundKeepRate: 0.2,
  maxTilesPerLabel: 40,
  fieldsPerPatient: 2,
} as const;

interface ResolvedOptions extends FieldJobOptions {
  seed: number;
  fieldsPerPatient: number;
  workers: number;
}

const fail = (message: string): never => {
  throw new Error(`writeFieldTileDataset: ${message}`);
};

const isCount = (n: unknown, min: number, max: number): boolean => Number.isInteger(n) && (n as number) >= min && (n as number) <= max;

function resolveOptions(options: FieldTileDatasetOptions): ResolvedOptions {
  const o: ResolvedOptions = {
    seed: options.seed ?? 1,
    difficulty: options.difficulty ?? 'default',
    fieldWidth: options.fieldWidth ?? DEFAULT_FIELD_WIDTH,
    fieldHeight: options.fieldHeight ?? DEFAULT_FIELD_HEIGHT,
    fieldPxPerUm: options.fieldPxPerUm ?? DEFAULT_PX_PER_UM,
    tileSizePx: options.tileSizePx ?? FIELD_TILE_DEFAULTS.tileSizePx,
    tilePxPerUm: options.tilePxPerUm ?? FIELD_TILE_DEFAULTS.tilePxPerUm,
    overlap: options.overlap ?? FIELD_TILE_DEFAULTS.overlap,
    minOrganismAreaUm2: options.minOrganismAreaUm2 ?? FIELD_TILE_DEFAULTS.minOrganismAreaUm2,
    backgroundKeepRate: options.backgroundKeepRate ?? FIELD_TILE_DEFAULTS.backgroundKeepRate,
    maxTilesPerLabel: options.maxTilesPerLabel ?? FIELD_TILE_DEFAULTS.maxTilesPerLabel,
    fieldsPerPatient: options.fieldsPerPatient ?? FIELD_TILE_DEFAULTS.fieldsPerPatient,
    workers: options.workers ?? 1,
  };
  resolveDifficulty(o.difficulty);
  if (!(Number.isSafeInteger(o.seed) && o.seed >= 0)) fail(`seed must be an integer >= 0 (got ${o.seed})`);
  if (!isCount(o.tileSizePx, 8, 1024)) fail(`tileSizePx must be an integer in [8, 1024] (got ${o.tileSizePx})`);
  if (!(o.tilePxPerUm > 0 && o.tilePxPerUm <= o.fieldPxPerUm)) fail(`tilePxPerUm must be in (0, fieldPxPerUm = ${o.fieldPxPerUm}] (got ${o.tilePxPerUm})`);
  if (!(o.overlap >= 0 && o.overlap < 1)) fail(`overlap must be in [0, 1) (got ${o.overlap})`);
  if (!(o.minOrganismAreaUm2 > 0)) fail(`minOrganismAreaUm2 must be > 0 (got ${o.minOrganismAreaUm2})`);
  if (!(o.backgroundKeepRate >= 0 && o.backgroundKeepRate <= 1)) fail(`backgroundKeepRate must be in [0, 1] (got ${o.backgroundKeepRate})`);
  if (!isCount(o.maxTilesPerLabel, 1, 1_000_000)) fail(`maxTilesPerLabel must be a positive integer (got ${o.maxTilesPerLabel})`);
  if (!isCount(o.fieldsPerPatient, 1, 1000)) fail(`fieldsPerPatient must be a positive integer (got ${o.fieldsPerPatient})`);
  if (!isCount(o.workers, 1, 64)) fail(`workers must be an integer in [1, 64] (got ${o.workers})`);
  return o;
}

function countsOfSplit(split: string, counts: number | Partial<Record<ClassId, number>>): Record<ClassId, number> {
  const perClass = typeof counts === 'number' ? Object.fromEntries(CLASS_IDS.map((id) => [id, counts])) : counts;
  for (const [label, n] of Object.entries(perClass)) {
    if (!(CLASS_IDS as readonly string[]).includes(label)) fail(`unknown class "${label}" in split "${split}"`);
    if (!isCount(n, 0, 100_000)) fail(`fields per class of split "${split}" must be integers in [0, 100000] (got ${n} for ${label})`);
  }
  return Object.fromEntries(CLASS_IDS.map((id) => [id, perClass[id] ?? 0])) as Record<ClassId, number>;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/**
 * Plans every field before rendering: per split and class, fields are grouped into patients (one
 * specimen each); a split's patients are shuffled and numbered on from the previous split's, so ids
 * carry no class order and never repeat across splits.
 */
function planFields(splits: FieldSplitCounts, o: ResolvedOptions, rng: Rng): FieldJob[] {
  const jobs: FieldJob[] = [];
  let patientNumber = 0;
  let fieldNumber = 0;
  for (const [split, counts] of Object.entries(splits)) {
    const perClass = countsOfSplit(split, counts);
    const patients: { label: ClassId; fields: number }[] = [];
    for (const label of CLASS_IDS) {
      for (let left = perClass[label]; left > 0; left -= o.fieldsPerPatient) patients.push({ label, fields: Math.min(left, o.fieldsPerPatient) });
    }
    rng.shuffle(patients);
    for (const { label, fields } of patients) {
      const patientId = `p${pad(++patientNumber, 5)}`;
      const specimen = sampleSpecimen({ label, seed: rng.int(2 ** 31), difficulty: o.difficulty });
      for (let i = 0; i < fields; i++) jobs.push({ split, label, patientId, fieldId: `f${pad(++fieldNumber, 6)}`, specimen, seed: rng.int(2 ** 31) });
    }
  }
  if (jobs.length === 0) fail('nothing to generate (every split has 0 fields)');
  return jobs;
}

const WORKER_BOOTSTRAP = new URL('./field-tiles-bootstrap.mjs', import.meta.url);

function askWorker(worker: Worker, request: FieldWorkerRequest): Promise<FieldOutcome> {
  return new Promise((resolve, reject) => {
    const settle = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (reply: { outcome?: FieldOutcome; error?: string }): void => {
      settle();
      if (reply.outcome) resolve(reply.outcome);
      else reject(new Error(reply.error ?? 'field worker sent no result'));
    };
    const onError = (error: Error): void => {
      settle();
      reject(error);
    };
    const onExit = (code: number): void => {
      settle();
      reject(new Error(`field worker exited with code ${code}`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(request);
  });
}

/** Writes every job, on this thread or spread over worker threads; calls onDone as each finishes. */
async function runJobs(dir: string, jobs: readonly FieldJob[], o: ResolvedOptions, onDone: (index: number, outcome: FieldOutcome) => void, signal?: AbortSignal): Promise<void> {
  const { seed: _seed, fieldsPerPatient: _perPatient, workers, ...jobOptions } = o;
  if (workers === 1) {
    for (const [index, job] of jobs.entries()) {
      signal?.throwIfAborted();
      onDone(index, await writeFieldJob(dir, job, jobOptions));
    }
    return;
  }
  const threads = Array.from({ length: Math.min(workers, jobs.length) }, () => new Worker(WORKER_BOOTSTRAP));
  let next = 0;
  try {
    await Promise.all(
      threads.map(async (worker) => {
        while (next < jobs.length) {
          signal?.throwIfAborted();
          const index = next++;
          onDone(index, await askWorker(worker, { dir, job: jobs[index], options: jobOptions }));
        }
      }),
    );
  } finally {
    await Promise.all(threads.map((worker) => worker.terminate()));
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/**
 * Writes a dataset of training tiles cut from whole synthetic fields:
 *   fields/<field>.jpg          every field, JPEG-encoded like a photo (quality 95, 4:4:4)
 *   fields.csv                  the fields with their field-level labels
 *   tiles/<class>/<field>-<row>-<column>.png   tiles cut from the decoded JPEG by processPhoto
 *                               (tileSizePx at tilePxPerUm, overlap as at inference), labelled from
 *                               the mask: no morphotype with minOrganismAreaUm2 → no_bacteria (kept
 *                               at backgroundKeepRate), one → it, two or more → polymicrobial; at
 *                               most maxTilesPerLabel of a label per field
 *   manifest.csv                the tiles
 *   dataset.json                options, seed, counts and pxPerUm (the tiles' scale)
 * Both CSVs have the manifest columns (path, label, patient_id, field_id, specimen, stain, device)
 * and a split column. Written to a hidden sibling folder and renamed into place when complete.
 */
export async function writeFieldTileDataset(
  outDir: string,
  options: FieldTileDatasetOptions,
  onProgress?: (done: number, total: number) => void,
): Promise<FieldTileDatasetSummary> {
  const o = resolveOptions(options);
  const target = path.resolve(outDir);
  if (!options.overwrite && (await exists(target))) fail(`${target} already exists (pass overwrite to replace it)`);
  const jobs = planFields(options.fieldsPerClass, o, createRng(o.seed));
  const outcomes: FieldOutcome[] = [];
  await writeDirAtomically(target, async (temp) => {
    for (const dir of ['fields', ...CLASS_IDS.map((id) => `tiles/${id}`)]) await mkdir(path.join(temp, dir), { recursive: true });
    let done = 0;
    await runJobs(
      temp,
      jobs,
      o,
      (index, outcome) => {
        outcomes[index] = outcome;
        onProgress?.(++done, jobs.length);
      },
      options.signal,
    );
    const header = csvRow([...MANIFEST_COLUMNS, 'split']);
    const fieldRows = jobs.map((job) => csvRow([`fields/${job.fieldId}.jpg`, job.label, job.patientId, job.fieldId, job.specimen.specimenType, job.specimen.stain, job.specimen.device, job.split]));
    await writeFile(path.join(temp, 'manifest.csv'), [header, ...outcomes.flatMap((outcome) => outcome.tileRows)].join('\n') + '\n');
    await writeFile(path.join(temp, 'fields.csv'), [header, ...fieldRows].join('\n') + '\n');
    const { seed, workers: _workers, ...rest } = o;
    const description = {
      generator: 'gramlens-field-tiles',
      version: FIELD_TILES_FORMAT_VERSION,
      seed,
      pxPerUm: o.tilePxPerUm,
      tileSize: o.tileSizePx,
      options: { ...rest, fieldsPerClass: options.fieldsPerClass },
      classes: CLASS_IDS,
      counts: summarise(target, jobs, outcomes),
    };
    await writeFile(path.join(temp, 'dataset.json'), JSON.stringify(description, null, 2) + '\n');
  });
  return summarise(target, jobs, outcomes);
}

function summarise(outDir: string, jobs: readonly FieldJob[], outcomes: readonly FieldOutcome[]): FieldTileDatasetSummary {
  const tilesPerClass = Object.fromEntries(CLASS_IDS.map((id) => [id, 0])) as Record<ClassId, number>;
  for (const label of outcomes.flatMap((outcome) => outcome.tileLabels)) tilesPerClass[label]++;
  const fieldsPerSplit: Record<string, number> = {};
  for (const job of jobs) fieldsPerSplit[job.split] = (fieldsPerSplit[job.split] ?? 0) + 1;
  return {
    outDir,
    fields: jobs.length,
    patients: new Set(jobs.map((job) => job.patientId)).size,
    tiles: outcomes.reduce((sum, outcome) => sum + outcome.tileRows.length, 0),
    tilesPerClass,
    fieldsPerSplit,
    tilesDropped: outcomes.reduce((sum, outcome) => sum + outcome.dropped, 0),
  };
}
