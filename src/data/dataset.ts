import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readFile, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatCsv, parseCsv } from './csv.ts';
import type { LabelTreeNode } from '../contract/index.ts';
import { treeLabelReader, type CoarseLabel } from './labels.ts';
import type { Dataset, Sample } from './types.ts';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp'] as const;

const REQUIRED_COLUMNS = ['path', 'label', 'patient_id'] as const;
const OPTIONAL_COLUMNS = ['specimen', 'slide', 'stain', 'device'] as const;

export function isImageFile(fileName: string): boolean {
  return (IMAGE_EXTENSIONS as readonly string[]).includes(path.extname(fileName).toLowerCase());
}

function fileStem(filePath: string): string {
  return path.basename(filePath, path.extname(filePath));
}

/** Plain code-unit order, so class indices never depend on the machine's locale. */
function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function requireDirectory(dir: string, what: string): Promise<void> {
  const info = await stat(dir).catch(() => null);
  if (!info) throw new Error(`${what} not found: ${dir}`);
  if (!info.isDirectory()) throw new Error(`${what} is not a folder: ${dir}`);
}

async function isDirectoryEntry(dir: string, entry: Dirent): Promise<boolean> {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  const target = await stat(path.join(dir, entry.name)).catch(() => null);
  return target?.isDirectory() ?? false;
}

async function listImagesRecursively(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const found: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (await isDirectoryEntry(dir, entry)) found.push(...(await listImagesRecursively(full)));
    else if (isImageFile(entry.name)) found.push(full);
  }
  return found.sort(byCodeUnit);
}

/** Class folder name → its image files (sorted), validated as a classification dataset. */
async function scanClassFolders(root: string): Promise<Map<string, string[]>> {
  await requireDirectory(root, 'Dataset folder');
  const entries = await readdir(root, { withFileTypes: true });
  const classNames: string[] = [];
  for (const entry of entries) {
    if (!entry.name.startsWith('.') && (await isDirectoryEntry(root, entry))) classNames.push(entry.name);
  }
  classNames.sort(byCodeUnit);
  if (classNames.length === 0) throw new Error(`No class folders in ${root}: expected one subfolder of images per class`);
  const byClass = new Map<string, string[]>();
  for (const name of classNames) {
    const files = await listImagesRecursively(path.join(root, name));
    if (files.length === 0) {
      throw new Error(`Class folder "${name}" in ${root} has no images (${IMAGE_EXTENSIONS.join(', ')})`);
    }
    byClass.set(name, files);
  }
  if (classNames.length < 2) {
    throw new Error(`Only one class folder ("${classNames[0]}") in ${root}: a classifier needs at least 2 classes`);
  }
  return byClass;
}

export interface ReadFolderOptions {
  /**
   * The classes as a tree: the classes are its leaves (in tree order) and a folder may also be named
   * after a node (e.g. "GPC"), its images then labelled only that coarsely.
   */
  labelTree?: readonly LabelTreeNode[];
}

/**
 * A folder-per-class tree: each subfolder of `root` is a class, its images (searched recursively)
 * its samples. Without patient information, each image's file name stem is its patient id.
 */
export async function readFolderDataset(root: string, options: ReadFolderOptions = {}): Promise<Dataset> {
  const absoluteRoot = path.resolve(root);
  const byClass = await scanClassFolders(absoluteRoot);
  const reader = options.labelTree ? treeLabelReader(options.labelTree) : null;
  const samples: Sample[] = [];
  for (const [folder, files] of byClass) {
    const label = reader ? reader.read(folder) : folder;
    if (label === undefined) throw new Error(`Folder "${folder}" in ${absoluteRoot} is not a class or node of the label tree (${reader!.allowed})`);
    for (const file of files) samples.push({ path: file, label, patientId: fileStem(file) });
  }
  if (!reader) return { root: absoluteRoot, classes: [...byClass.keys()], samples };
  return withCoarseLabels({ root: absoluteRoot, classes: reader.classes, samples }, reader.coarseLabels());
}

export interface ReadManifestOptions {
  /** Class list in index order; labels outside it are refused. Default: the sorted labels found (the tree's leaves with labelTree). */
  classes?: readonly string[];
  /** Folder every listed file must lie inside. Default: the manifest's folder. */
  root?: string;
  /**
   * The classes as a tree: its leaves are the classes, and a label may also name a node (e.g.
   * "GPC" for an image known only to show some Gram-positive coccus).
   */
  labelTree?: readonly LabelTreeNode[];
}

function withCoarseLabels(dataset: Dataset, coarseLabels: CoarseLabel[]): Dataset {
  return coarseLabels.length > 0 ? { ...dataset, coarseLabels } : dataset;
}

function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

/**
 * A CSV manifest with a header row and at least the columns path, label, patient_id (optional:
 * specimen, slide, stain, device; other columns are kept in `extra`). Relative paths are resolved
 * from the manifest's folder; every path must stay inside the dataset root.
 */
export async function readManifest(csvPath: string, options: ReadManifestOptions = {}): Promise<Dataset> {
  const manifestPath = path.resolve(csvPath);
  const text = await readFile(manifestPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new Error(error.code === 'ENOENT' ? `Manifest not found: ${manifestPath}` : `Cannot read manifest ${manifestPath}: ${error.message}`);
  });
  const name = path.basename(manifestPath);
  const records = parseCsv(text);
  if (records.length === 0) throw new Error(`Manifest ${name} is empty`);

  // Known columns match case-insensitively; extra columns keep their names as written.
  const header = records[0].fields.map((column) => {
    const trimmed = column.trim();
    const known = [...REQUIRED_COLUMNS, ...OPTIONAL_COLUMNS] as string[];
    return known.includes(trimmed.toLowerCase()) ? trimmed.toLowerCase() : trimmed;
  });
  const missing = REQUIRED_COLUMNS.filter((column) => !header.includes(column));
  if (missing.length > 0) {
    throw new Error(`Manifest ${name} is missing column(s) ${missing.join(', ')}; found: ${header.join(', ')}`);
  }
  const duplicate = header.find((column, index) => header.indexOf(column) !== index);
  if (duplicate !== undefined) throw new Error(`Manifest ${name} has the column "${duplicate}" twice`);

  const manifestDir = path.dirname(manifestPath);
  const root = path.resolve(options.root ?? manifestDir);
  const reader = options.labelTree ? treeLabelReader(options.labelTree, options.classes) : null;
  const knownClasses = options.classes && !reader ? new Set(options.classes) : null;
  const extraColumns = header.filter(
    (column) => !(REQUIRED_COLUMNS as readonly string[]).includes(column) && !(OPTIONAL_COLUMNS as readonly string[]).includes(column),
  );
  const firstLineOfPath = new Map<string, number>();
  const samples: Sample[] = [];
  const sampleLines: number[] = [];

  for (const { fields, line } of records.slice(1)) {
    if (fields.length !== header.length) {
      throw new Error(`Manifest ${name} line ${line}: ${fields.length} fields, but the header has ${header.length}`);
    }
    const row = new Map(header.map((column, index) => [column, fields[index].trim()]));
    for (const column of REQUIRED_COLUMNS) {
      if (row.get(column) === '') throw new Error(`Manifest ${name} line ${line}: empty ${column}`);
    }
    const written = row.get('label')!;
    const label = reader ? reader.read(written) : written;
    if (label === undefined || (knownClasses && !knownClasses.has(label))) {
      throw new Error(`Manifest ${name} line ${line}: unknown label "${written}" (${reader ? reader.allowed : `classes: ${[...knownClasses!].join(', ')}`})`);
    }
    const listedPath = row.get('path')!;
    const filePath = path.resolve(manifestDir, listedPath.split(path.sep === '/' ? '\\' : '/').join(path.sep));
    if (!isInside(root, filePath)) {
      throw new Error(`Manifest ${name} line ${line}: path "${listedPath}" is outside the dataset folder ${root}`);
    }
    const earlier = firstLineOfPath.get(filePath);
    if (earlier !== undefined) {
      throw new Error(`Manifest ${name} line ${line}: "${listedPath}" is already listed on line ${earlier}`);
    }
    firstLineOfPath.set(filePath, line);

    const sample: Sample = { path: filePath, label, patientId: row.get('patient_id')! };
    for (const column of OPTIONAL_COLUMNS) {
      const value = row.get(column);
      if (value) sample[column] = value;
    }
    if (extraColumns.length > 0) sample.extra = Object.fromEntries(extraColumns.map((column) => [column, row.get(column)!]));
    samples.push(sample);
    sampleLines.push(line);
  }
  if (samples.length === 0) throw new Error(`Manifest ${name} lists no images`);

  const exists = await Promise.all(samples.map((s) => stat(s.path).then((info) => info.isFile(), () => false)));
  const missingFiles = samples.flatMap((sample, index) =>
    exists[index] ? [] : [`line ${sampleLines[index]}: ${path.relative(manifestDir, sample.path)}`],
  );
  if (missingFiles.length > 0) {
    const examples = missingFiles.slice(0, 3).join('; ');
    throw new Error(`Manifest ${name}: ${missingFiles.length} listed file(s) do not exist, e.g. ${examples}`);
  }

  if (reader) return withCoarseLabels({ root, classes: reader.classes, samples }, reader.coarseLabels());
  const classes = options.classes ? [...options.classes] : [...new Set(samples.map((s) => s.label))].sort(byCodeUnit);
  if (classes.length < 2) throw new Error(`Manifest ${name} has only the class "${classes[0]}": a classifier needs at least 2 classes`);
  return { root, classes, samples };
}

/**
 * Writes a dataset as a manifest CSV, paths relative to the manifest's folder. The file appears
 * whole or not at all (written to a temporary name, then renamed).
 */
export async function writeManifest(dataset: Dataset, csvPath: string): Promise<void> {
  const target = path.resolve(csvPath);
  const dir = path.dirname(target);
  const optional = OPTIONAL_COLUMNS.filter((column) => dataset.samples.some((s) => s[column] !== undefined));
  const extra = [...new Set(dataset.samples.flatMap((s) => Object.keys(s.extra ?? {})))];
  const header = [...REQUIRED_COLUMNS, ...optional, ...extra];
  const rows = dataset.samples.map((s) => [
    path.relative(dir, s.path).split(path.sep).join('/'),
    s.label,
    s.patientId,
    ...optional.map((column) => s[column] ?? ''),
    ...extra.map((column) => s.extra?.[column] ?? ''),
  ]);
  const temporary = `${target}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, formatCsv([header, ...rows]));
    await rename(temporary, target);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw new Error(`Cannot write manifest ${target}: ${(error as Error).message}`);
  }
}

export interface FilenameManifestOptions {
  /** Applied to each file name; must have a named group `specimen`, e.g. /^[A-Za-z]+(?<specimen>\d{3})\d{2}\./. */
  pattern: RegExp | string;
  /**
   * 'class' (default): specimen numbers restart in each class folder, so the patient id is
   * "<class>/<specimen>". 'dataset': the same specimen number in two classes is the same patient.
   */
  specimenScope?: 'class' | 'dataset';
  /** What to do with file names the pattern does not match. Default 'error'. */
  unmatched?: 'error' | 'skip';
  /** Also write the manifest here (CSV). */
  output?: string;
}

/**
 * For folder-per-class layouts whose file names carry a specimen id (GramStainR: species folders,
 * "Ecoli00201.JPG" = specimen 002, field 01). Images of one specimen share a patient id so a split
 * never puts fields of one specimen on both sides.
 */
export async function buildManifestFromFilenames(root: string, options: FilenameManifestOptions): Promise<Dataset> {
  const pattern = typeof options.pattern === 'string' ? new RegExp(options.pattern) : options.pattern;
  if (!/\(\?<specimen>/.test(pattern.source)) {
    throw new Error(`The file name pattern ${pattern} needs a named group (?<specimen>...)`);
  }
  const absoluteRoot = path.resolve(root);
  const byClass = await scanClassFolders(absoluteRoot);
  const samples: Sample[] = [];
  const unmatched: string[] = [];
  for (const [label, files] of byClass) {
    for (const file of files) {
      const specimen = pattern.exec(path.basename(file))?.groups?.specimen;
      if (!specimen) {
        unmatched.push(path.relative(absoluteRoot, file));
        continue;
      }
      const patientId = options.specimenScope === 'dataset' ? specimen : `${label}/${specimen}`;
      samples.push({ path: file, label, patientId, specimen });
    }
  }
  if (unmatched.length > 0 && options.unmatched !== 'skip') {
    throw new Error(
      `${unmatched.length} file name(s) in ${absoluteRoot} do not match ${pattern}, e.g. ${unmatched.slice(0, 3).join(', ')}`,
    );
  }
  const classes = [...new Set(samples.map((s) => s.label))];
  if (classes.length < 2) throw new Error(`Fewer than 2 classes have file names matching ${pattern} in ${absoluteRoot}`);
  const dataset: Dataset = { root: absoluteRoot, classes, samples };
  if (options.output) await writeManifest(dataset, options.output);
  return dataset;
}

/** The name of every label index: the classes, then the coarse labels (label-tree nodes). */
export function labelNames(dataset: Pick<Dataset, 'classes' | 'coarseLabels'>): string[] {
  return [...dataset.classes, ...(dataset.coarseLabels ?? []).map((node) => node.name)];
}

/** Label index of every sample, in sample order: its class index, or classes.length + i for coarseLabels[i]. */
export function labelIndices(dataset: Dataset): Int32Array {
  const names = labelNames(dataset);
  const index = new Map(names.map((name, i) => [name, i]));
  return Int32Array.from(dataset.samples, (sample) => {
    const value = index.get(sample.label);
    if (value === undefined) throw new Error(`Label "${sample.label}" is not one of the labels ${names.join(', ')}`);
    return value;
  });
}
