import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AugmentConfig, AugmentPresetName } from '../../augment/index.ts';
import { splitByPatient, type Dataset, type ResizePolicy, type Sample } from '../../data/index.ts';
import { chooseWithinBudget, type BudgetChoice } from '../../pipeline/index.ts';
import type { TrainConfig } from '../../train/index.ts';
import { stringOption, UsageError, type OptionValues } from '../command.ts';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** `--budget 10m` (s, m or h) in seconds; undefined without the option. */
export function parseBudget(values: OptionValues): number | undefined {
  const raw = stringOption(values, 'budget');
  if (raw === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*([smh])$/.exec(raw.trim());
  const seconds = match ? Number(match[1]) * UNIT_SECONDS[match[2]] : NaN;
  if (!(seconds > 0)) throw new UsageError(`--budget must be a duration such as 90s, 10m or 1h; got "${raw}"`);
  for (const option of ['model', 'backbone', 'size', 'epochs', 'folds', 'ensemble', 'resume']) {
    if (values[option] !== undefined) throw new UsageError(`--budget chooses the model, size and length itself: leave out --${option}`);
  }
  return seconds;
}

export interface BudgetRunSettings {
  budgetSeconds: number;
  startedAt: number;
  seed: number;
  channels: 1 | 3;
  fit: ResizePolicy['fit'];
  augment?: AugmentConfig | AugmentPresetName;
  train: Partial<TrainConfig>;
  workers: number;
  cacheDir?: string;
  strict?: boolean;
  signal: AbortSignal;
  log: (message: string) => void;
}

/**
 * The split `gramlens train` would make (or the given one), and the model, size and epochs
 * chosen within the budget on its training and validation parts; null (said) when cancelled.
 */
export async function chooseForBudget(dataset: Dataset, given: Record<'train' | 'val' | 'test', Sample[]> | undefined, settings: BudgetRunSettings) {
  const splits = given ?? splitByPatient(dataset.samples, { fractions: { train: 0.7, val: 0.15, test: 0.15 }, seed: settings.seed });
  if (dataset.coarseLabels && dataset.coarseLabels.length > 0) throw new UsageError('--budget does not take label-tree node labels yet: train with a chosen --model instead');
  const choice = await chooseWithinBudget(dataset, [...splits.train, ...splits.val], {
    ...settings,
    finalTrainImages: splits.train.length,
    onProgress: settings.log,
  }).catch((error: Error) => {
    if (!settings.signal.aborted) throw error;
    return null;
  });
  if (choice && choice.status === 'completed') return { splits, choice };
  settings.log('the budget search was cancelled; nothing was saved');
  return null;
}

/** Adds the budget search and the whole run's seconds to the run record the training wrote; the line to print. */
export async function recordBudgetChoice(runDir: string, choice: BudgetChoice, totalSeconds: number): Promise<string> {
  const path = join(runDir, 'run.json');
  const record = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  await writeFile(path, JSON.stringify({ ...record, budget: { ...choice, totalSeconds } }, null, 2));
  return `budget ${choice.budgetSeconds.toFixed(0)} s, used ${totalSeconds.toFixed(0)} s`;
}
