import { availableParallelism } from 'node:os';
import { DIFFICULTY_PRESETS, writeSyntheticDataset, type SyntheticDatasetOptions } from '../../synth/index.ts';
import { FIELD_TILE_DEFAULTS, writeFieldTileDataset, type FieldTileDatasetOptions } from '../../synth/photos/index.ts';
import { UsageError, numberOption, stringOption, type CliContext, type Command, type OptionValues } from '../command.ts';
import { flagOptions, parseSeed, valueOptions } from '../options.ts';
import { ProgressLine } from '../progress.ts';

/** The named difficulty presets (src/synth DIFFICULTY_PRESETS). */
export const DIFFICULTY_NAMES = Object.keys(DIFFICULTY_PRESETS) as (keyof typeof DIFFICULTY_PRESETS)[];

export function jsonOrName<T>(values: OptionValues, name: string, names: readonly string[]): T | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined || names.includes(raw)) return raw as T | undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw new UsageError(`--${name} must be ${names.join(', ')} or a JSON object; got "${raw}"`);
  }
}

/** Options of --field-tiles alone; all take a value. */
const FIELD_TILE_ONLY = ['splits', 'field-size', 'tile-px-per-um', 'background-keep', 'max-tiles', 'workers'];

export const synthCommand: Command = {
  name: 'synth',
  help: `Usage: gramlens synth OUT_DIR [options]

Writes a synthetic Gram-stain dataset: tiles/<class>/*.png (one folder per class), a manifest.csv
(path,label,patient_id,field_id,specimen,stain,device), optional full eyepiece fields with object
annotations under fields/, and dataset.json with the options and seed that reproduce it.
Classes: gpc_clusters, gpc_chains, gpc_diplococci, gpr, gnr, gnc, yeast, no_bacteria, polymicrobial.

Options:
  --tiles N           tiles to render (default 2000)
  --fields N          full 1600×1200 fields with masks and boxes (default 0)
  --tile-size N       tile side in pixels (default 96)
  --prevalence clinical|balanced|JSON   class mix (default clinical: GNR and GPC common, GNC and yeast rare)
  --difficulty clean|default|hard|realistic|JSON  stain faults, blur, colour casts, debris;
                      realistic: also phone photos' tinted glass, faint stain, glare, no eyepiece circle (default default)
  --masks             also write each tile's label mask
  --seed N            (default 1)
  --overwrite         replace OUT_DIR if it exists

Field tiles (training tiles cut from whole fields exactly as a photo is tiled at inference):
  --field-tiles       render whole 1600×1200 fields at 9 px/µm and write fields/*.jpg (+ fields.csv
                      with each field's label), then tiles/<class>/*.png cut from each decoded JPEG
                      by the inference tiler (+ manifest.csv; both CSVs have a split column).
                      A tile's label comes from the field's mask over the tile: no morphotype
                      covering 0.3 µm² → no_bacteria, one → it, two or more → polymicrobial
  --splits LIST       fields per class in each split, e.g. train=30,val=10,test=20 (default train=20);
                      a patient's fields stay in one split
  --field-size WxH    rendered field in pixels at 9 px/µm (default 1600x1200)
  --tile-size N       tile side (default 64 with --field-tiles)
  --tile-px-per-um X  scale of the written tiles (default 6: a 64 px tile spans 10.7 µm)
  --background-keep R share of organism-free tiles kept (default 0.2)
  --max-tiles N       at most N tiles of one label per field, drawn at random (default 40)
  --workers N         threads rendering fields (default: one per CPU core)`,
  options: {
    ...valueOptions('tiles', 'fields', 'tile-size', 'prevalence', 'difficulty', 'seed'),
    ...flagOptions('masks', 'overwrite', 'field-tiles'),
    ...valueOptions(...FIELD_TILE_ONLY),
  },
  allowPositionals: true,
  async run(values, positionals, context) {
    const [out] = positionals;
    if (!out || positionals.length > 1) throw new UsageError('give one output folder');
    if (values['field-tiles']) return writeFieldTiles(out, values, context);
    const fieldTileOnly = FIELD_TILE_ONLY.find((name) => values[name] !== undefined);
    if (fieldTileOnly) throw new UsageError(`--${fieldTileOnly} applies only with --field-tiles`);
    const options: SyntheticDatasetOptions = {
      tiles: numberOption(values, 'tiles', { integer: true, min: 0 }) ?? 2000,
      fields: numberOption(values, 'fields', { integer: true, min: 0 }) ?? 0,
      tileSize: numberOption(values, 'tile-size', { integer: true, min: 8 }),
      prevalence: jsonOrName(values, 'prevalence', ['clinical', 'balanced']),
      difficulty: jsonOrName(values, 'difficulty', DIFFICULTY_NAMES),
      tileMasks: Boolean(values.masks),
      seed: parseSeed(values) ?? 1,
      overwrite: Boolean(values.overwrite),
    };
    const line = new ProgressLine();
    const started = performance.now();
    const summary = await writeSyntheticDataset(out, options, (done, total) => line.update(done / total, `rendering ${done}/${total}`));
    const seconds = (performance.now() - started) / 1000;
    line.log(`wrote ${summary.tiles} tiles and ${summary.fields} fields of ${summary.patients} patients to ${summary.outDir} in ${seconds.toFixed(1)} s`);
    printTilesPerClass(summary.tilesPerClass, context);
    return 0;
  },
};

function printTilesPerClass(tilesPerClass: Record<string, number>, context: CliContext): void {
  const width = Math.max(...Object.keys(tilesPerClass).map((k) => k.length));
  for (const [label, count] of Object.entries(tilesPerClass)) context.out(`  ${label.padEnd(width)} ${String(count).padStart(6)} tiles`);
}

/** "train=30,val=10" → { train: 30, val: 10 }. */
export function parseSplits(raw: string): Record<string, number> {
  const splits: Record<string, number> = {};
  for (const part of raw.split(',')) {
    const match = /^\s*([A-Za-z][\w-]*)\s*=\s*(\d+)\s*$/.exec(part);
    if (!match) throw new UsageError(`--splits must look like train=30,val=10,test=20; got "${raw}"`);
    if (match[1] in splits) throw new UsageError(`--splits names "${match[1]}" twice`);
    splits[match[1]] = Number(match[2]);
  }
  return splits;
}

export function parseFieldSize(raw: string): [number, number] {
  const match = /^(\d+)x(\d+)$/.exec(raw.trim());
  if (!match) throw new UsageError(`--field-size must look like 1600x1200; got "${raw}"`);
  return [Number(match[1]), Number(match[2])];
}

async function writeFieldTiles(out: string, values: OptionValues, context: CliContext): Promise<number> {
  const notHere = ['tiles', 'fields', 'prevalence', 'masks'].find((name) => values[name] !== undefined);
  if (notHere) throw new UsageError(`--${notHere} does not apply to --field-tiles (give fields per class and split with --splits)`);
  const fieldSize = stringOption(values, 'field-size');
  const [fieldWidth, fieldHeight] = fieldSize === undefined ? [] : parseFieldSize(fieldSize);
  const options: FieldTileDatasetOptions = {
    fieldsPerClass: parseSplits(stringOption(values, 'splits') ?? 'train=20'),
    fieldWidth,
    fieldHeight,
    tileSizePx: numberOption(values, 'tile-size', { integer: true, min: 8 }) ?? FIELD_TILE_DEFAULTS.tileSizePx,
    tilePxPerUm: numberOption(values, 'tile-px-per-um', { min: 0 }),
    backgroundKeepRate: numberOption(values, 'background-keep', { min: 0 }),
    maxTilesPerLabel: numberOption(values, 'max-tiles', { integer: true, min: 1 }),
    difficulty: jsonOrName(values, 'difficulty', DIFFICULTY_NAMES),
    seed: parseSeed(values) ?? 1,
    workers: numberOption(values, 'workers', { integer: true, min: 1 }) ?? availableParallelism(),
    overwrite: Boolean(values.overwrite),
    signal: context.signal,
  };
  const line = new ProgressLine();
  const started = performance.now();
  const summary = await writeFieldTileDataset(out, options, (done, total) => line.update(done / total, `fields ${done}/${total}`)).catch((error: unknown) => {
    if (context.signal.aborted) return null;
    throw error;
  });
  if (!summary) {
    line.log('cancelled: nothing written');
    return 130;
  }
  const seconds = (performance.now() - started) / 1000;
  const splits = Object.entries(summary.fieldsPerSplit).map(([name, n]) => `${n} ${name}`).join(', ');
  line.log(`wrote ${summary.fields} fields (${splits}) of ${summary.patients} patients and ${summary.tiles} tiles to ${summary.outDir} in ${seconds.toFixed(1)} s`);
  printTilesPerClass(summary.tilesPerClass, context);
  return 0;
}
