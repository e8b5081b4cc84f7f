/** Options several commands take: their declarations, help lines and parsers. */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { AUGMENT_PRESETS, type AugmentConfig, type AugmentPresetName } from '../augment/index.ts';
import type { LabelTreeNode } from '../contract/index.ts';
import { parseLabelTree } from '../data/index.ts';
import { BACKEND_CHOICES } from '../engine/index.ts';
import { STAIN_METHODS, type StainMethod } from '../preprocess/index.ts';
import { MODEL_NAMES, registeredModels, type ModelName } from '../models/index.ts';
import type { TrainConfig } from '../train/index.ts';
import { UsageError, numberOption, stringOption, type OptionSpec, type OptionValues } from './command.ts';

/** Declarations of options that take a value (`--name VALUE`). */
export function valueOptions(...names: string[]): OptionSpec {
  return Object.fromEntries(names.map((name) => [name, { type: 'string' }]));
}

/** Declarations of on/off options (`--name`). */
export function flagOptions(...names: string[]): OptionSpec {
  return Object.fromEntries(names.map((name) => [name, { type: 'boolean' }]));
}

export const OUT_OPTION: OptionSpec = { out: { type: 'string', short: 'o' } };

/** Read by startEngine. */
export const BACKEND_OPTION: OptionSpec = valueOptions('backend');

export const BACKEND_HELP = `  --backend ${BACKEND_CHOICES.join('|')}`;

/** --seed: a non-negative integer; undefined when not given (each command has its default). */
export function parseSeed(values: OptionValues): number | undefined {
  return numberOption(values, 'seed', { integer: true, min: 0 });
}

export const SPECIMEN_PATTERN_OPTION: OptionSpec = valueOptions('specimen-pattern');

export const SPECIMEN_PATTERN_HELP = `  --specimen-pattern REGEX   (class-folder trees) read each file name's specimen with REGEX's named
                      group (?<specimen>...), e.g. '(?<specimen>\\d{3})\\d{2}\\.jpg$' for
                      Ecoli00201.jpg = specimen 002, field 01: a specimen's images count as one
                      patient, so no split puts them on both sides`;

/** The --specimen-pattern option as a regular expression (case-insensitive), checked for its named group. */
export function specimenPatternOption(values: OptionValues): RegExp | undefined {
  const raw = stringOption(values, 'specimen-pattern');
  if (raw === undefined) return undefined;
  let pattern: RegExp;
  try {
    pattern = new RegExp(raw, 'i');
  } catch (error) {
    throw new UsageError(`--specimen-pattern is not a valid regular expression: ${(error as Error).message}`);
  }
  if (!/\(\?<specimen>/.test(raw)) throw new UsageError(`--specimen-pattern needs a named group (?<specimen>...); got "${raw}"`);
  return pattern;
}

export function parseSize(values: OptionValues, fallback: number): [number, number] {
  const raw = stringOption(values, 'size');
  if (raw === undefined) return [fallback, fallback];
  const match = /^(\d+)(?:x(\d+))?$/i.exec(raw);
  if (!match) throw new UsageError(`--size must be N or HxW in pixels, e.g. 64 or 96x128; got "${raw}"`);
  const h = Number(match[1]);
  const w = Number(match[2] ?? match[1]);
  if (h < 8 || w < 8 || h > 1024 || w > 1024) throw new UsageError(`--size must be between 8 and 1024 pixels; got "${raw}"`);
  return [h, w];
}

export function parseAugment(values: OptionValues, fallback: AugmentPresetName): AugmentConfig | AugmentPresetName {
  const raw = stringOption(values, 'augment') ?? fallback;
  if (raw in AUGMENT_PRESETS) return raw as AugmentPresetName;
  try {
    return JSON.parse(raw) as AugmentConfig;
  } catch {
    throw new UsageError(`--augment must be a preset (${Object.keys(AUGMENT_PRESETS).join(', ')}) or a JSON object; got "${raw}"`);
  }
}

/** The registered models with pretrained weights (fine-tuned rather than trained from scratch). */
export const BACKBONE_NAMES: readonly ModelName[] = registeredModels()
  .filter((entry) => entry.fineTune)
  .map((entry) => entry.name);

/** --model, or --backbone (a model with pretrained weights); undefined when neither is given. */
export function parseModel(values: OptionValues): ModelName | undefined {
  const model = stringOption(values, 'model');
  const backbone = stringOption(values, 'backbone');
  if (model !== undefined && backbone !== undefined) throw new UsageError('give --model or --backbone, not both');
  if (backbone !== undefined && !BACKBONE_NAMES.includes(backbone)) throw new UsageError(`--backbone must be one of ${BACKBONE_NAMES.join(', ')}; got "${backbone}"`);
  if (model !== undefined && !MODEL_NAMES.includes(model)) throw new UsageError(`--model must be one of ${MODEL_NAMES.join(', ')}; got "${model}"`);
  return model ?? backbone;
}

export function parseTrainConfig(values: OptionValues): Partial<TrainConfig> {
  return {
    model: parseModel(values),
    width: numberOption(values, 'width', { integer: true, min: 1 }),
    epochs: numberOption(values, 'epochs', { integer: true, min: 1 }),
    steps: numberOption(values, 'steps', { integer: true, min: 1 }),
    finalWeights: stringOption(values, 'final-weights') as TrainConfig['finalWeights'] | undefined,
    batchSize: numberOption(values, 'batch', { integer: true, min: 1 }),
    learningRate: numberOption(values, 'lr', { min: 0 }),
    optimizer: stringOption(values, 'optimizer') as TrainConfig['optimizer'] | undefined,
    schedule: stringOption(values, 'schedule') as TrainConfig['schedule'] | undefined,
    patience: numberOption(values, 'patience', { integer: true, min: 0 }),
    monitor: stringOption(values, 'monitor') as TrainConfig['monitor'] | undefined,
    sampling: stringOption(values, 'sampling') as TrainConfig['sampling'] | undefined,
    freezeEpochs: numberOption(values, 'freeze-epochs', { integer: true, min: 0 }),
    layerRateRatio: numberOption(values, 'lr-ratio', { min: 1 }),
    frozenGroups: numberOption(values, 'frozen-groups', { integer: true, min: 0 }),
    batchNorm: stringOption(values, 'batch-norm') as TrainConfig['batchNorm'] | undefined,
    seed: parseSeed(values),
  };
}

export function parseWorkers(values: OptionValues): number {
  return numberOption(values, 'workers', { integer: true, min: 1 }) ?? Math.min(availableParallelism(), 8);
}

export function parseChannels(values: OptionValues): 1 | 3 {
  const channels = numberOption(values, 'channels', { integer: true }) ?? 3;
  if (channels !== 1 && channels !== 3) throw new UsageError(`--channels must be 1 or 3; got ${channels}`);
  return channels;
}

export function parseStainNorm(values: OptionValues, channels: 1 | 3): StainMethod | 'none' {
  const method = stringOption(values, 'stain-norm') ?? 'none';
  if (method !== 'none' && !STAIN_METHODS.includes(method as StainMethod)) throw new UsageError(`--stain-norm must be none, ${STAIN_METHODS.join(' or ')}; got "${method}"`);
  if (method !== 'none' && channels !== 3) throw new UsageError('--stain-norm needs RGB images: drop --channels 1 or use --stain-norm none');
  return method as StainMethod | 'none';
}

export async function parseLabelTreeOption(values: OptionValues): Promise<LabelTreeNode[] | undefined> {
  const file = stringOption(values, 'label-tree');
  if (file === undefined) return undefined;
  const text = await readFile(file, 'utf8').catch((error: Error) => {
    throw new UsageError(`--label-tree: cannot read ${file} (${error.message})`);
  });
  try {
    return parseLabelTree(JSON.parse(text), file);
  } catch (error) {
    throw new UsageError(`--label-tree: ${(error as Error).message}`);
  }
}

export function parseFit(values: OptionValues): 'cover' | 'contain' | 'fill' {
  const fit = stringOption(values, 'fit') ?? 'cover';
  if (!['cover', 'contain', 'fill'].includes(fit)) throw new UsageError(`--fit must be cover, contain or fill; got "${fit}"`);
  return fit as 'cover' | 'contain' | 'fill';
}
