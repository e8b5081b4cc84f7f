import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { csvRow } from '../data/index.ts';
import { createRng, type Rng } from '../util/index.ts';
import { CLASS_IDS, MASK_LABELS, type ClassId } from './classes.ts';
import {
  DEFAULT_FIELD_HEIGHT,
  DEFAULT_FIELD_WIDTH,
  DEFAULT_TILE_SIZE,
  MAX_FIELD_SIDE,
  MAX_TILE_SIZE,
  generateField,
  generateTile,
  type SynthField,
  type SynthImage,
} from './generate.ts';
import {
  DEFAULT_PX_PER_UM,
  allocateCounts,
  checkPxPerUm,
  checkSize,
  resolveDifficulty,
  resolvePrevalence,
  type Difficulty,
  type DifficultyOption,
  type PrevalenceOption,
} from './options.ts';
import { sampleFieldConditionsWith, sampleSpecimenWith, type Specimen } from './specimen.ts';

export interface SyntheticDatasetOptions {
  /** Number of tiles (>= 0). */
  tiles: number;
  /** Number of full eyepiece fields (>= 0, default 0). */
  fields?: number;
  /** Tile side in pixels (default 96). */
  tileSize?: number;
  fieldWidth?: number;
  fieldHeight?: number;
  /** Default 1. */
  seed?: number;
  /** Default 'clinical'. */
  prevalence?: PrevalenceOption;
  pxPerUm?: number;
  difficulty?: DifficultyOption;
  /** Tiles drawn from one field's conditions (default 4). */
  tilesPerField?: number;
  /** Fields per patient (default 2). */
  fieldsPerPatient?: number;
  /** Also write each tile's label mask as masks/<class>/<id>.png (default false). */
  tileMasks?: boolean;
  /** Replace an existing outDir (default false: refuse). */
  overwrite?: boolean;
}

export interface SyntheticDatasetSummary {
  outDir: string;
  tiles: number;
  fields: number;
  patients: number;
  tilesPerClass: Record<ClassId, number>;
  fieldsPerClass: Record<ClassId, number>;
}

export type ProgressCallback = (done: number, total: number) => void;

export const MANIFEST_COLUMNS = ['path', 'label', 'patient_id', 'field_id', 'specimen', 'stain', 'device'] as const;

/** Raised whenever the same options and seed would write different images (2: tiles stored as lossless RGB, not as a palette). */
export const SYNTH_FORMAT_VERSION = 2;

const MAX_COUNT = 10_000_000;
/** Encodes in flight while the next image renders (sharp encodes on its own threads). */
const IN_FLIGHT = 8;

interface Job {
  kind: 'tile' | 'field';
  id: string;
  label: ClassId;
  patientId: string;
  fieldId: string;
  seed: number;
  specimen: Specimen;
  fieldSeed: number;
}

function checkCount(name: string, value: number | undefined, min: number): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= min && value <= MAX_COUNT)) {
    throw new Error(`writeSyntheticDataset: ${name} must be an integer between ${min} and ${MAX_COUNT} (got ${value})`);
  }
}

function splitIntoGroups<T>(items: T[], size: number): T[][] {
  const groups: T[][] = [];
  for (let i = 0; i < items.length; i += size) groups.push(items.slice(i, i + size));
  return groups;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/**
 * Plans every image before rendering: per class, images are grouped into fields and fields into
 * patients (one specimen each); patients are shuffled and then numbered, so ids carry no class order.
 */
function planJobs(
  kind: Job['kind'],
  counts: Record<ClassId, number>,
  perField: number,
  fieldsPerPatient: number,
  rng: Rng,
  knobs: Difficulty,
  numbering: { patient: number; field: number; image: number },
): Job[] {
  const patients: { label: ClassId; fields: number[] }[] = [];
  for (const label of CLASS_IDS) {
    const fields = splitIntoGroups(Array.from({ length: counts[label] }, (_, i) => i), perField).map((images) => images.length);
    for (const group of splitIntoGroups(fields, fieldsPerPatient)) patients.push({ label, fields: group });
  }
  rng.shuffle(patients);
  const jobs: Job[] = [];
  for (const { label, fields } of patients) {
    const patientId = `p${pad(++numbering.patient, 5)}`;
    const specimen = sampleSpecimenWith(rng.fork(), label, knobs);
    for (const images of fields) {
      const fieldId = `f${pad(++numbering.field, 6)}`;
      const fieldSeed = rng.int(2 ** 31);
      for (let i = 0; i < images; i++) {
        const id = kind === 'field' ? fieldId : `t${pad(++numbering.image, 7)}`;
        jobs.push({ kind, id, label, patientId, fieldId, seed: rng.int(2 ** 31), specimen, fieldSeed });
      }
    }
  }
  return jobs;
}

function rgbPng(image: SynthImage): Promise<Buffer> {
  return sharp(Buffer.from(image.rgb.buffer, image.rgb.byteOffset, image.rgb.byteLength), {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .png({ compressionLevel: 1, adaptiveFiltering: false })
    .toBuffer();
}

function maskPng(image: SynthImage): Promise<Buffer> {
  return sharp(Buffer.from(image.mask.buffer, image.mask.byteOffset, image.mask.byteLength), {
    raw: { width: image.width, height: image.height, channels: 1 },
  })
    .toColourspace('b-w')
    .png({ compressionLevel: 6 })
    .toBuffer();
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

interface ResolvedOptions {
  tiles: number;
  fields: number;
  tileSize: number;
  fieldWidth: number;
  fieldHeight: number;
  seed: number;
  pxPerUm: number;
  tilesPerField: number;
  fieldsPerPatient: number;
  tileMasks: boolean;
  prevalence: Record<ClassId, number>;
  difficulty: Difficulty;
}

function resolveOptions(options: SyntheticDatasetOptions): ResolvedOptions {
  if (options.tiles === undefined) throw new Error('writeSyntheticDataset: tiles is required (a number >= 0)');
  checkCount('tiles', options.tiles, 0);
  checkCount('fields', options.fields, 0);
  checkCount('tilesPerField', options.tilesPerField, 1);
  checkCount('fieldsPerPatient', options.fieldsPerPatient, 1);
  if (options.seed !== undefined && !(Number.isSafeInteger(options.seed) && options.seed >= 0)) {
    throw new Error(`writeSyntheticDataset: seed must be an integer >= 0 (got ${options.seed})`);
  }
  const resolved: ResolvedOptions = {
    tiles: options.tiles,
    fields: options.fields ?? 0,
    tileSize: options.tileSize ?? DEFAULT_TILE_SIZE,
    fieldWidth: options.fieldWidth ?? DEFAULT_FIELD_WIDTH,
    fieldHeight: options.fieldHeight ?? DEFAULT_FIELD_HEIGHT,
    seed: options.seed ?? 1,
    pxPerUm: options.pxPerUm ?? DEFAULT_PX_PER_UM,
    tilesPerField: options.tilesPerField ?? 4,
    fieldsPerPatient: options.fieldsPerPatient ?? 2,
    tileMasks: options.tileMasks ?? false,
    prevalence: resolvePrevalence(options.prevalence),
    difficulty: resolveDifficulty(options.difficulty),
  };
  if (resolved.tiles + resolved.fields === 0) throw new Error('writeSyntheticDataset: nothing to generate (tiles and fields are both 0)');
  checkSize('writeSyntheticDataset: tileSize', resolved.tileSize, MAX_TILE_SIZE);
  checkSize('writeSyntheticDataset: fieldWidth', resolved.fieldWidth, MAX_FIELD_SIDE);
  checkSize('writeSyntheticDataset: fieldHeight', resolved.fieldHeight, MAX_FIELD_SIDE);
  checkPxPerUm(resolved.pxPerUm);
  return resolved;
}

/** What dataset.json records to reproduce a dataset: the generator, its format version, the seed and every resolved option. */
function recipeOf(o: ResolvedOptions) {
  const { prevalence, difficulty, seed, ...rest } = o;
  return { generator: 'gramlens-synth', version: SYNTH_FORMAT_VERSION, seed, options: rest, prevalence, difficulty };
}

/** What a folder holds for a synthetic dataset writer: nothing, exactly that dataset, or another synthetic dataset. */
export type SyntheticDatasetStatus = 'missing' | 'same' | 'different';

/** The writers whose folders a caller may replace when they hold another dataset: writeSyntheticDataset's and the field-tile writer's (src/synth/photos). */
const SYNTHETIC_GENERATORS: readonly string[] = ['gramlens-synth', 'gramlens-field-tiles'];

/**
 * Whether dir holds the dataset of this recipe (the generator, its format version, the seed and
 * every resolved option, as its dataset.json records them; dataset.json is written last, so its
 * presence means the dataset is complete). Throws when dir exists but is not a synthetic dataset of
 * either writer, so that a caller replacing a 'different' one never deletes anything else.
 */
export async function datasetRecipeStatus(dir: string, wanted: Readonly<Record<string, unknown>>): Promise<SyntheticDatasetStatus> {
  if (!(await exists(dir))) return 'missing';
  const text = await readFile(path.join(dir, 'dataset.json'), 'utf8').catch(() => null);
  let recorded: Record<string, unknown> | null = null;
  try {
    recorded = text === null ? null : JSON.parse(text);
  } catch {
    recorded = null;
  }
  if (recorded === null || !SYNTHETIC_GENERATORS.includes(String(recorded.generator))) throw new Error(`${dir} exists but is not a synthetic dataset; move it away or choose another folder`);
  const found = recorded;
  return Object.entries(wanted).every(([key, value]) => JSON.stringify(found[key]) === JSON.stringify(value)) ? 'same' : 'different';
}

/** Whether dir holds the dataset writeSyntheticDataset(dir, options) would write again byte for byte (see datasetRecipeStatus). */
export async function syntheticDatasetStatus(dir: string, options: SyntheticDatasetOptions): Promise<SyntheticDatasetStatus> {
  return datasetRecipeStatus(dir, recipeOf(resolveOptions(options)));
}

async function makeFolders(dir: string, o: ResolvedOptions): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  for (const label of CLASS_IDS) {
    if (o.tiles > 0) await mkdir(path.join(dir, 'tiles', label), { recursive: true });
    if (o.tiles > 0 && o.tileMasks) await mkdir(path.join(dir, 'masks', label), { recursive: true });
  }
  if (o.fields > 0) await mkdir(path.join(dir, 'fields'), { recursive: true });
}

/**
 * Renders the jobs in order and writes them, encoding up to IN_FLIGHT images at once while the
 * next renders. Returns the manifest lines of tiles and of fields.
 */
async function renderJobs(dir: string, jobs: readonly Job[], o: ResolvedOptions, onProgress?: ProgressCallback): Promise<Record<Job['kind'], string[]>> {
  const rows: Record<Job['kind'], string[]> = { tile: [], field: [] };
  const pending = new Set<Promise<void>>();
  let done = 0;
  try {
    for (const job of jobs) {
      const field = sampleFieldConditionsWith(createRng(job.fieldSeed), o.difficulty);
      const common = { label: job.label, seed: job.seed, pxPerUm: o.pxPerUm, specimen: job.specimen, field };
      const relative = job.kind === 'tile' ? `tiles/${job.label}/${job.id}.png` : `fields/${job.id}.jpg`;
      rows[job.kind].push(csvRow([relative, job.label, job.patientId, job.fieldId, job.specimen.specimenType, job.specimen.stain, job.specimen.device]));
      const written =
        job.kind === 'tile'
          ? writeTile(dir, job, generateTile({ ...common, size: o.tileSize }), o.tileMasks)
          : writeField(dir, job, generateField({ ...common, width: o.fieldWidth, height: o.fieldHeight }));
      const write = written.then(() => {
        pending.delete(write);
        onProgress?.(++done, jobs.length);
      });
      pending.add(write);
      if (pending.size >= IN_FLIGHT) await Promise.race(pending);
    }
    await Promise.all(pending);
  } catch (error) {
    await Promise.allSettled(pending);
    throw error;
  }
  return rows;
}

/** Renames dir to target, replacing an existing target only after the new one is complete. */
async function moveIntoPlace(dir: string, target: string): Promise<void> {
  if (!(await exists(target))) return rename(dir, target);
  const old = `${dir}-old`;
  await rename(target, old);
  await rename(dir, target);
  await rm(old, { recursive: true, force: true });
}

/**
 * Writes a synthetic Gram-stain dataset:
 *   tiles/<class>/<id>.png      tiles (masks/<class>/<id>.png with tileMasks)
 *   manifest.csv                path,label,patient_id,field_id,specimen,stain,device (paths relative to outDir)
 *   fields/<id>.jpg, .mask.png, .json   full eyepiece fields with object annotations (when fields > 0)
 *   fields.csv                  the fields, same columns as manifest.csv
 *   dataset.json                generator options, seed and counts
 * Tile "field_id"s name the field conditions a tile shares with its siblings; full fields belong to
 * patients of their own. Everything is written to a hidden sibling folder first and renamed into
 * place at the end, so an interrupted run never leaves a complete-looking dataset.
 */
export async function writeSyntheticDataset(outDir: string, options: SyntheticDatasetOptions, onProgress?: ProgressCallback): Promise<SyntheticDatasetSummary> {
  const o = resolveOptions(options);
  const target = path.resolve(outDir);
  if (!options.overwrite && (await exists(target))) {
    throw new Error(`writeSyntheticDataset: ${target} already exists (pass overwrite: true to replace it)`);
  }
  const rng = createRng(o.seed);
  const numbering = { patient: 0, field: 0, image: 0 };
  const tilesPerClass = allocateCounts(o.tiles, o.prevalence);
  const fieldsPerClass = allocateCounts(o.fields, o.prevalence);
  const jobs = [
    ...planJobs('tile', tilesPerClass, o.tilesPerField, o.fieldsPerPatient, rng, o.difficulty, numbering),
    ...planJobs('field', fieldsPerClass, 1, o.fieldsPerPatient, rng, o.difficulty, numbering),
  ];

  const temp = path.join(path.dirname(target), `.${path.basename(target)}.partial-${process.pid}`);
  await makeFolders(temp, o);
  try {
    const rows = await renderJobs(temp, jobs, o, onProgress);
    const header = csvRow(MANIFEST_COLUMNS);
    if (o.tiles > 0) await writeFile(path.join(temp, 'manifest.csv'), [header, ...rows.tile].join('\n') + '\n');
    if (o.fields > 0) await writeFile(path.join(temp, 'fields.csv'), [header, ...rows.field].join('\n') + '\n');
    const description = {
      ...recipeOf(o),
      classes: CLASS_IDS,
      maskLabels: MASK_LABELS,
      counts: { patients: numbering.patient, tilesPerClass, fieldsPerClass },
    };
    await writeFile(path.join(temp, 'dataset.json'), JSON.stringify(description, null, 2) + '\n');
    await moveIntoPlace(temp, target);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  return { outDir: target, tiles: o.tiles, fields: o.fields, patients: numbering.patient, tilesPerClass, fieldsPerClass };
}

async function writeTile(dir: string, job: Job, image: SynthImage, withMask: boolean): Promise<void> {
  await writeFile(path.join(dir, 'tiles', job.label, `${job.id}.png`), await rgbPng(image));
  if (withMask) await writeFile(path.join(dir, 'masks', job.label, `${job.id}.png`), await maskPng(image));
}

async function writeField(dir: string, job: Job, image: SynthField): Promise<void> {
  const jpeg = await sharp(Buffer.from(image.rgb.buffer, image.rgb.byteOffset, image.rgb.byteLength), {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .jpeg({ quality: 95, chromaSubsampling: '4:4:4' })
    .toBuffer();
  await writeFile(path.join(dir, 'fields', `${job.id}.jpg`), jpeg);
  await writeFile(path.join(dir, 'fields', `${job.id}.mask.png`), await maskPng(image));
  const annotation = {
    field_id: job.id,
    patient_id: job.patientId,
    label: job.label,
    image: `${job.id}.jpg`,
    mask: `${job.id}.mask.png`,
    maskLabels: MASK_LABELS,
    width: image.width,
    height: image.height,
    pxPerUm: image.pxPerUm,
    eyepiece: image.eyepiece,
    specimen: image.specimen,
    conditions: image.field,
    objects: image.objects,
  };
  await writeFile(path.join(dir, 'fields', `${job.id}.json`), JSON.stringify(annotation) + '\n');
}
