import { existsSync, statSync } from 'node:fs';
import { AUGMENT_PRESETS } from '../../augment/index.ts';
import { assertPatientDisjoint, isSyntheticDataset, type Dataset, type Sample } from '../../data/index.ts';
import { formatFoldSummary, formatReportTable } from '../../evaluate/index.ts';
import { STAIN_METHODS } from '../../preprocess/index.ts';
import { MODEL_NAMES, registeredModel } from '../../models/index.ts';
import { crossValidate, fitClassifier, writeFitReport, type CrossValidationProgress, type CrossValidationResult } from '../../pipeline/index.ts';
import { basename, join } from 'node:path';
import { MAX_ENSEMBLE_MEMBERS, resolveTrainConfig } from '../../train/index.ts';
import { UsageError, numberOption, stringOption, type CliContext, type Command, type OptionSpec } from '../command.ts';
import {
  BACKBONE_NAMES,
  BACKEND_HELP,
  BACKEND_OPTION,
  OUT_OPTION,
  SPECIMEN_PATTERN_HELP,
  SPECIMEN_PATTERN_OPTION,
  flagOptions,
  parseAugment,
  parseChannels,
  parseFit,
  parseLabelTreeOption,
  parseSize,
  parseStainNorm,
  parseTrainConfig,
  parseWorkers,
  specimenPatternOption,
  valueOptions,
} from '../options.ts';
import { ProgressLine } from '../progress.ts';
import { fitProgressPrinter, loadDatasetArg, startEngine } from '../shared.ts';
import { chooseForBudget, parseBudget, recordBudgetChoice } from './train-budget.ts';
import { formatBudgetChoice } from '../../pipeline/index.ts';

export const TRAIN_OPTIONS: OptionSpec = {
  ...OUT_OPTION,
  ...valueOptions('size', 'channels', 'fit', 'model', 'backbone', 'width', 'epochs', 'steps', 'final-weights', 'batch', 'lr', 'optimizer', 'schedule', 'patience', 'monitor', 'sampling'),
  ...valueOptions('freeze-epochs', 'lr-ratio', 'frozen-groups', 'batch-norm', 'augment', 'stain-norm', 'seed', 'cache-dir', 'workers', 'folds', 'split-column', 'label-tree', 'ensemble', 'budget'),
  'train-only': { type: 'string', multiple: true },
  ...flagOptions('resume', 'strict', 'json', 'tta'),
  ...SPECIMEN_PATTERN_OPTION,
  ...BACKEND_OPTION,
};

export const TRAIN_OPTION_HELP = `  --size N[xM]        network input size in pixels (default 64; with --backbone, the backbone's: 128)
  --channels 1|3       grey or colour input (default 3)
  --fit cover|contain|fill   how images are brought to the input size (default cover)
  --model NAME        ${MODEL_NAMES.join(' | ')} (default resnet-small)
  --backbone NAME     ${BACKBONE_NAMES.join(' | ')}: fine-tune a model pretrained on ImageNet (the same as
                      --model NAME): the new head alone for --freeze-epochs, then every layer but
                      --frozen-groups, the earlier ones at lower learning rates; its own defaults:
                      --epochs, --lr, --lr-ratio, --frozen-groups, --size
  --freeze-epochs N   (backbones) epochs that train only the new head (default 1)
  --lr-ratio X        (backbones) the head's learning rate over the earliest layers' once they
                      train, rates spaced geometrically between (default 100; 1 = one rate)
  --frozen-groups N   (backbones) the N earliest parameter groups never train (mobilenetv2: 1 =
                      stem and blocks 0-5, the default; 2 = the whole pretrained trunk; 0 = none)
  --batch-norm batch|frozen   normalise with each batch's statistics, or with the stored ones,
                      kept (default: frozen for backbones, batch otherwise)
  --width N           base width of the model (filters of its first stage)
  --epochs N          training length (default: from the dataset size, at least 20 epochs and at
                      least --steps optimizer steps; backbones at least 15 epochs)
  --steps N           least optimizer steps when --epochs is not given (default 240; backbones 150)
  --final-weights average|last|best   the weights the run ends with: the mean of the last quarter
                      of epochs' (default), the last epoch's, or the best epoch's on validation
  --batch N           (default 32)
  --lr X              learning rate (default 0.002)
  --optimizer adam|sgd                     --schedule constant|cosine|step
  --patience N        early stopping after N epochs without improvement (0 = off, the default)
  --monitor val_loss|val_accuracy|val_balanced_accuracy
  --sampling none|oversample|undersample|class-weights|balanced-batches (default class-weights)
  --augment PRESET|JSON   ${Object.keys(AUGMENT_PRESETS).join(' | ')}, or a JSON augmentation config
  --stain-norm none|${STAIN_METHODS.join('|')}   stain normalisation of every image, in training and in
                      every later prediction (default none; needs RGB); the reference is estimated on
                      up to 256 seeded training images and stored in the model bundle
  --tta               test-time augmentation: every prediction (calibration, test figures, and
                      predict, evaluate, the API through the bundle) averages the probabilities
                      over the flips and quarter turns the augmentation trains with (8 views with
                      the microscopy preset on a square input), at that many times the cost
  --ensemble K        train K models with seeds N, N+1, ... (N = --seed) on the same images and
                      average their probabilities (2 to ${MAX_ENSEMBLE_MEMBERS}; default 1): calibration, the referral
                      level, the test figures and every later prediction use the mean; heatmaps and
                      the out-of-distribution check come from the first model. K times the training
                      and inference time; with --folds, every fold trains K models
  --seed N            seed of every random choice (default 1)
  --workers N         model replicas training in parallel (default: one per CPU core); a run
                      repeats exactly for the same seed and number of workers
${BACKEND_HELP}`;

export const trainCommand: Command = {
  name: 'train',
  help: `Usage: gramlens train DATASET --out RUN_DIR [options]

Trains a classifier on DATASET (a folder with one subfolder per class, or a CSV manifest with
columns path,label,patient_id), split by patient into train/val/test (70/15/15), then calibrates
it on validation, evaluates it once on test and writes a model bundle to RUN_DIR/model.
Ctrl-C stops after the current step and keeps a checkpoint; --resume continues from it.

Options:
  -o, --out DIR       run folder: checkpoint, run.json and the model bundle (required)
${TRAIN_OPTION_HELP}
  --budget DURATION   (e.g. 10m; s, m or h) choose the model and its length within this time: the
                      default model at 64 and 128 px and the mobilenetv2 backbone at 128 px, each
                      timed by a short probe, trained as long as its share of the budget allows and
                      scored (macro-F1) on a fifth of the training part's patients; then the chosen
                      one trains on the whole training part for the time left. Prints what it tried
                      and chose (also in RUN_DIR/run.json); not with --model, --backbone, --size,
                      --epochs, --folds, --ensemble or --resume
  --folds K           patient-grouped K-fold cross-validation instead of one split: one model per
                      fold, each fold's report on its held-out patients (RUN_DIR/fold-N/report), the
                      mean ± sd of every metric (RUN_DIR/crossval.json) and a report of the pooled
                      held-out predictions (RUN_DIR/report.html)
  --split-column NAME   use the manifest's column NAME as the split instead of a random one: each
                      image's value is train, val or test (no patient in two parts); e.g. fixed
                      cross-validation folds, one run per fold
  --train-only DATASET   with --folds: add these images (folder per class or manifest; repeatable)
                      to every fold's training part, never to its validation or held-out part, so
                      every figure stays on DATASET's own patients (e.g. reference strains)
  --label-tree FILE   the classes as a tree: JSON [{"name", "children": [...]}, ...] or a model
                      bundle's metadata.json. Its leaves are the classes; a label may also name a
                      node (e.g. GPC) for images known only that coarsely, which then train with
                      the set loss -log P(node). The report adds metrics per tree level
${SPECIMEN_PATTERN_HELP}
  --resume            continue from the checkpoint in --out
  --strict            stop at the first unreadable image (default: skip and count them)
  --cache-dir DIR     keep decoded images here so that the next run skips decoding
  --json              print the test report as JSON`,
  options: TRAIN_OPTIONS,
  allowPositionals: true,
  async run(values, positionals, context) {
    const startedAt = performance.now();
    const budgetSeconds = parseBudget(values);
    const out = stringOption(values, 'out');
    if (!out) throw new UsageError('--out RUN_DIR is required');
    if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError(`--out ${out} is a file; give a folder for the run (it is created if missing)`);
    if (positionals.length > 1) throw new UsageError(`expected one dataset, got ${positionals.length}`);
    const channels = parseChannels(values);
    const train = parseTrainConfig(values);
    const settings = {
      size: parseSize(values, (train.model === undefined ? undefined : registeredModel(train.model).fineTune?.inputSize) ?? 64),
      channels,
      fit: parseFit(values),
      stainNormalisation: parseStainNorm(values, channels),
      train,
      augment: parseAugment(values, 'microscopy'),
      workers: parseWorkers(values),
      labelTree: await parseLabelTreeOption(values),
      tta: Boolean(values.tta),
      ensemble: parseEnsemble(values),
    };
    resolveTrainConfig(settings.train);
    const folds = numberOption(values, 'folds', { integer: true, min: 2 });
    const specimenPattern = specimenPatternOption(values);
    if (specimenPattern && settings.labelTree) throw new UsageError('--specimen-pattern and --label-tree do not combine: with a pattern, each folder must be a class');
    const trainOnlyPaths = (values['train-only'] as string[] | undefined) ?? [];
    if (trainOnlyPaths.length > 0 && folds === undefined) throw new UsageError('--train-only goes with --folds: it adds training images to every fold of a cross-validation');
    const splitColumn = stringOption(values, 'split-column');
    if (splitColumn !== undefined && folds !== undefined) throw new UsageError('--split-column and --folds do not combine: a split column fixes one split; run one training per fold');
    const dataset = await loadDatasetArg(positionals[0], settings.labelTree, specimenPattern);
    const splits = splitColumn === undefined ? undefined : splitsFromColumn(dataset, splitColumn);
    const trainOnly = await Promise.all(trainOnlyPaths.map((path) => loadDatasetArg(path, settings.labelTree)));
    await startEngine(values, context);
    const line = new ProgressLine();
    if (folds !== undefined) {
      const result = await crossValidate(dataset, {
        ...settings,
        synthetic: await isSyntheticDataset(positionals[0]),
        folds,
        trainOnly,
        runDir: out,
        strict: Boolean(values.strict),
        cacheDir: stringOption(values, 'cache-dir'),
        signal: context.signal,
        onProgress: crossValidationPrinter(line),
      });
      return reportCrossValidation(result, out, Boolean(values.json), context);
    }
    const budget = budgetSeconds === undefined ? undefined : await chooseForBudget(dataset, splits, {
      ...settings,
      budgetSeconds,
      startedAt,
      seed: settings.train.seed ?? 1,
      cacheDir: stringOption(values, 'cache-dir'),
      strict: Boolean(values.strict),
      signal: context.signal,
      log: (message) => line.log(message),
    });
    if (budget === null) return 130;
    if (budget) {
      (values.json ? context.err : context.out)(formatBudgetChoice(budget.choice));
      settings.size = [budget.choice.chosen.size, budget.choice.chosen.size];
      settings.train = { ...settings.train, model: budget.choice.chosen.model, epochs: budget.choice.finalEpochs };
    }
    const result = await fitClassifier(dataset, {
      ...settings,
      splits: budget?.splits ?? splits,
      runDir: out,
      resume: Boolean(values.resume),
      strict: Boolean(values.strict),
      cacheDir: stringOption(values, 'cache-dir'),
      signal: context.signal,
      onProgress: fitProgressPrinter(line),
    });
    if (result.skipped > 0) context.err(`skipped ${result.skipped} unreadable image(s); --strict makes this an error`);
    if (result.status === 'cancelled') {
      context.err(budget ? 'training cancelled (a --budget run starts again from the search)' : `training cancelled; the checkpoint is in ${out}: run the same command with --resume to continue`);
      return 130;
    }
    if (values.json) context.out(JSON.stringify(result.report));
    else if (result.report) context.out(formatReportTable(result.report));
    if (result.report) {
      const { htmlPath } = await writeFitReport(join(out, 'report'), result, {
        title: `${basename(positionals[0])}: held-out test set`,
        description: `${positionals[0]}: ${dataset.samples.length} images, ${dataset.classes.length} classes, split by ${splitColumn === undefined ? 'patient' : `its column ${splitColumn}`}`,
        classes: dataset.classes,
        labelTree: settings.labelTree,
        seed: result.training.config.seed,
        synthetic: await isSyntheticDataset(positionals[0]),
      });
      context.err(`report: ${htmlPath}`);
    }
    if (budget) context.err(await recordBudgetChoice(out, budget.choice, (performance.now() - startedAt) / 1000));
    context.err(`model bundle: ${result.bundleDir} (trained in ${result.trainSeconds.toFixed(0)} s, ${result.status})`);
    return 0;
  },
};

function parseEnsemble(values: Parameters<Command['run']>[0]): number {
  const members = numberOption(values, 'ensemble', { integer: true, min: 1 }) ?? 1;
  if (members > MAX_ENSEMBLE_MEMBERS) throw new UsageError(`--ensemble must be at most ${MAX_ENSEMBLE_MEMBERS} models; got ${members}`);
  return members;
}

function crossValidationPrinter(line: ProgressLine): (event: CrossValidationProgress) => void {
  const printFit = fitProgressPrinter(line);
  return (event) => {
    if (event.kind === 'fold-start') line.log(`fold ${event.fold + 1}/${event.folds}: ${event.counts.train} train, ${event.counts.val} validation, ${event.counts.test} held-out images`);
    else if (event.kind === 'fold') printFit(event.event);
    else if (event.kind === 'fold-done') line.log(`fold ${event.fold + 1}/${event.folds} done: macro F1 ${event.report.macroF1.value?.toFixed(3) ?? '—'} on held-out patients`);
  };
}

function reportCrossValidation(result: CrossValidationResult, out: string, json: boolean, context: CliContext): number {
  if (!result.summary) {
    context.err('cross-validation cancelled before a fold completed');
    return 130;
  }
  context.out(json ? JSON.stringify({ folds: result.folds, summary: result.summary }) : formatFoldSummary(result.summary));
  context.err(`cross-validation of ${result.folds.length} folds: ${join(out, 'crossval.json')}${result.status === 'cancelled' ? ' (cancelled early)' : ''}`);
  if (result.report) context.err(`report: ${result.report.htmlPath}`);
  return result.status === 'cancelled' ? 130 : 0;
}

const SPLIT_VALUES: Record<string, 'train' | 'val' | 'test'> = { train: 'train', val: 'val', validation: 'val', test: 'test' };

/** The split a manifest column gives (train, val or validation, test; case-insensitive), checked for patients in two parts. */
export function splitsFromColumn(dataset: Dataset, column: string): Record<'train' | 'val' | 'test', Sample[]> {
  const splits: Record<'train' | 'val' | 'test', Sample[]> = { train: [], val: [], test: [] };
  for (const sample of dataset.samples) {
    const value = sample.extra?.[column];
    if (value === undefined) throw new UsageError(`--split-column: the dataset has no column "${column}" (it needs a CSV manifest with that column)`);
    const part = SPLIT_VALUES[value.trim().toLowerCase()];
    if (!part) throw new UsageError(`--split-column: ${sample.path} has ${column} "${value}"; use train, val or test`);
    splits[part].push(sample);
  }
  for (const part of ['train', 'val'] as const) {
    if (splits[part].length === 0) throw new UsageError(`--split-column: no image has ${column} = ${part}`);
  }
  try {
    assertPatientDisjoint(splits);
  } catch (error) {
    throw new UsageError(`--split-column: ${(error as Error).message}`);
  }
  return splits;
}
