// npm run bench:real [-- --json] [--quick] [--datasets bccd,breastmnist,pneumoniamnist,gramstainr]
//                     [--columns default,backbone,pytorch] [--workers N] [--data DIR]
// Real datasets, gramlens defaults beside the pretrained backbone and a plain PyTorch baseline:
// - BCCD white cells (bccd-wbc) on exactly the folds of its folds.csv (train on four, test on the
//   fifth; validation is a seeded fifth of the four, never the test fold), 128 px: gramlens
//   defaults, `--backbone mobilenetv2`, and the PyTorch baseline of its SOURCE.txt when
//   `python3 -c "import torch"` works (Debian's python3-torch); macro-F1 per fold, with test-time
//   augmentation (the 8 flips and quarter turns) measured on the same models.
// - BreastMNIST and PneumoniaMNIST, official splits: the default recipe of bench:medmnist and the
//   backbone (images enlarged 4× to 112 px); test AUC and ACC.
// - GramStainR species (reference + DIBaS photos, 3 Gram-negative species, 5 folds split by photo),
//   128 px: defaults and backbone.
// Medians and ranges over folds, seconds per fold (wall time of the whole fold: decoding from the
// cache, training, calibration, the bundle). Datasets that are absent are skipped.
// --quick: one fold, one epoch, small MedMNIST subsets (a smoke run, figures meaningless).
// Ends with one JSON line; --json sends the table to stderr so that stdout holds only that line.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ttaViewsFor } from '../src/augment/index.ts';
import { labelNames } from '../src/data/index.ts';
import { initEngine } from '../src/engine/index.ts';
import { fitClassifier, prepareImageSet, ttaLogits } from '../src/pipeline/index.ts';
import { logitsModelOf, predictLogits, type TrainConfig } from '../src/train/index.ts';
import { bccdFolds, fitMedMnist, gramStainSpeciesFolds, macroF1Of, runPytorchBaseline, torchPython, type RealDataset, type RealFold } from './lib/index.ts';
import { benchArgs, median, round } from './stats.ts';

const DATASETS = ['bccd', 'breastmnist', 'pneumoniamnist', 'gramstainr'] as const;
const COLUMNS = ['default', 'backbone', 'pytorch'] as const;
type Column = (typeof COLUMNS)[number];
const SIZE = 128;
const AUGMENT = 'microscopy';
const PYTORCH_EPOCHS = 30;

const argv = process.argv.slice(2);
const { json, quick } = benchArgs(argv);
const flag = (name: string): string | undefined => {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
};
const listFlag = <T extends string>(name: string, all: readonly T[]): T[] => {
  const raw = flag(name);
  if (raw === undefined) return [...all];
  const chosen = raw.split(',').map((item) => item.trim());
  const unknown = chosen.filter((item) => !all.includes(item as T));
  if (unknown.length > 0) throw new Error(`${name}: unknown ${unknown.join(', ')}; choose from ${all.join(', ')}`);
  return chosen as T[];
};
const datasets = listFlag('--datasets', DATASETS);
const columns = listFlag('--columns', COLUMNS);
const workers = Number(flag('--workers') ?? Math.min(availableParallelism(), 8));
const dataRoot = flag('--data') ?? join(import.meta.dirname, '../../shared/datasets');
const out = (line: string) => (json ? process.stderr : process.stdout).write(`${line}\n`);
const log = (line: string) => process.stderr.write(`${line}\n`);

interface FoldFigure {
  fold: number;
  macroF1: number;
  macroF1Tta?: number;
  seconds: number;
  /** Milliseconds per test image: one view, and the TTA views. */
  inferMs?: number;
  ttaMs?: number;
}

const engine = await initEngine();
const runRoot = await mkdtemp(join(tmpdir(), 'gramlens-bench-real-'));
const cacheDir = join(tmpdir(), 'gramlens-bench-real-cache');
await mkdir(cacheDir, { recursive: true });
const python = columns.includes('pytorch') ? torchPython() : null;
out(`Real-data benchmark: backend ${engine.backend}, ${workers} worker(s)${quick ? ', --quick (smoke run)' : ''}; runs in ${runRoot}`);
if (columns.includes('pytorch') && !python) out('PyTorch column skipped: python3 -c "import torch" fails (apt-get install python3-torch)');

/** One fold through `gramlens train` with defaults (or the backbone): macro-F1, and with TTA on the same model. */
async function gramlensFold(data: RealDataset, fold: RealFold, column: 'default' | 'backbone', name: string): Promise<FoldFigure> {
  const started = performance.now();
  const train: Partial<TrainConfig> = { ...(column === 'backbone' ? { model: 'mobilenetv2' as const } : {}), ...(quick ? { epochs: 1 } : {}) };
  const fit = await fitClassifier(data.dataset, { size: [SIZE, SIZE], splits: fold.splits, train, augment: AUGMENT, runDir: join(runRoot, `${name}-${column}-${fold.fold}`), cacheDir, workers, seed: 1 });
  const seconds = (performance.now() - started) / 1000;
  if (!fit.report || !fit.test) throw new Error(`${name} fold ${fold.fold}: training was ${fit.status}`);
  const logitsModel = logitsModelOf(fit.training.model);
  const { set } = fit.test;
  const k = data.dataset.classes.length;
  let at = performance.now();
  predictLogits(logitsModel, set, fit.training.normalisation);
  const inferMs = (performance.now() - at) / set.labels.length;
  at = performance.now();
  const withTta = ttaLogits(logitsModel, set, fit.training.normalisation, ttaViewsFor(AUGMENT, true));
  const ttaMs = (performance.now() - at) / set.labels.length;
  const figure = { fold: fold.fold, macroF1: fit.report.macroF1.value ?? NaN, macroF1Tta: macroF1Of(set.labels, withTta, k), seconds, inferMs, ttaMs };
  fit.training.model.dispose();
  return figure;
}

/** One fold of the PyTorch baseline: the whole photo squashed to 128 px, trained on train + val. */
async function pytorchFold(data: RealDataset, fold: RealFold): Promise<FoldFigure> {
  const started = performance.now();
  const policy = { size: [SIZE, SIZE] as [number, number], channels: 3 as const, fit: 'fill' as const };
  const classes = labelNames(data.dataset);
  const train = await prepareImageSet([...fold.splits.train, ...fold.splits.val], classes, policy, { cacheDir });
  const test = await prepareImageSet(fold.splits.test, classes, policy, { cacheDir });
  const run = await runPytorchBaseline(python!, runRoot, train.set, test.set, { classes: data.dataset.classes.length, epochs: quick ? 1 : PYTORCH_EPOCHS, seed: fold.fold });
  return { fold: fold.fold, macroF1: macroF1Of(test.set.labels, run.probabilities, data.dataset.classes.length), seconds: (performance.now() - started) / 1000 };
}

function summariseFolds(figures: FoldFigure[]) {
  const f1 = figures.map((f) => f.macroF1);
  const tta = figures.flatMap((f) => (f.macroF1Tta === undefined ? [] : [f.macroF1Tta]));
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return {
    macro_f1: round(mean(f1), 3),
    median_macro_f1: round(median(f1), 3),
    min_fold_macro_f1: round(Math.min(...f1), 3),
    max_fold_macro_f1: round(Math.max(...f1), 3),
    ...(tta.length > 0 ? { macro_f1_tta: round(mean(tta), 3), min_fold_macro_f1_tta: round(Math.min(...tta), 3) } : {}),
    seconds_per_fold: round(median(figures.map((f) => f.seconds)), 0),
    max_seconds_per_fold: round(Math.max(...figures.map((f) => f.seconds)), 0),
    ...(figures[0].ttaMs !== undefined ? { infer_ms_per_image: round(median(figures.map((f) => f.inferMs!)), 2), tta_ms_per_image: round(median(figures.map((f) => f.ttaMs!)), 2) } : {}),
    folds: f1.map((value) => round(value, 3)),
  };
}

async function foldedDataset(name: string, data: RealDataset | null, wanted: readonly Column[]) {
  if (!data) {
    out(`${name}: skipped, dataset not found under ${dataRoot}`);
    return null;
  }
  const folds = quick ? data.folds.slice(0, 1) : data.folds;
  const result: Partial<Record<Column, ReturnType<typeof summariseFolds>>> = {};
  for (const column of wanted) {
    if (column === 'pytorch' && !python) continue;
    const figures: FoldFigure[] = [];
    for (const fold of folds) {
      const figure = column === 'pytorch' ? await pytorchFold(data, fold) : await gramlensFold(data, fold, column, name);
      log(`${name} ${column} fold ${fold.fold}: macro-F1 ${figure.macroF1.toFixed(3)}${figure.macroF1Tta === undefined ? '' : ` (TTA ${figure.macroF1Tta.toFixed(3)})`}, ${figure.seconds.toFixed(0)} s`);
      figures.push(figure);
    }
    result[column] = summariseFolds(figures);
    const s = result[column]!;
    out(`${name.padEnd(18)} ${column.padEnd(9)} macro-F1 mean ${s.macro_f1} median ${s.median_macro_f1} range ${s.min_fold_macro_f1}–${s.max_fold_macro_f1}${s.macro_f1_tta === undefined ? '' : `  TTA mean ${s.macro_f1_tta}`}  ${s.seconds_per_fold} s/fold (max ${s.max_seconds_per_fold})`);
  }
  return result;
}

async function medMnist(name: 'breastmnist' | 'pneumoniamnist') {
  const npz = join(dataRoot, 'medmnist', `${name}.npz`);
  if (!existsSync(npz)) {
    out(`${name}: skipped, ${npz} not found`);
    return null;
  }
  const result: Record<string, { auc: number | null; acc: number | null; seconds: number | null }> = {};
  for (const column of columns.filter((c) => c !== 'pytorch')) {
    const backbone: Partial<TrainConfig> = { model: 'mobilenetv2', width: undefined, epochs: undefined, batchSize: undefined, learningRate: undefined, patience: undefined };
    const started = performance.now();
    const fitted = await fitMedMnist(npz, {
      runDir: join(runRoot, `${name}-${column}`),
      workers,
      train: { ...(column === 'backbone' ? backbone : {}), ...(quick ? { epochs: 1 } : {}) },
      ...(column === 'backbone' ? { upsample: 4 } : {}),
      ...(quick ? { limit: { train: 200, val: 100, test: 100 } } : {}),
    });
    fitted.fit.training.model.dispose();
    result[column] = { auc: round(fitted.auc, 3), acc: round(fitted.acc, 3), seconds: round((performance.now() - started) / 1000, 0) };
    out(`${name.padEnd(18)} ${column.padEnd(9)} test AUC ${result[column].auc} ACC ${result[column].acc}  ${result[column].seconds} s`);
  }
  return result;
}

const results: Record<string, unknown> = {};
for (const name of datasets) {
  if (name === 'bccd') results.bccd = await foldedDataset('bccd', await bccdFolds(join(dataRoot, 'bccd-wbc'), 1), columns);
  else if (name === 'gramstainr') results.gramstainr_species = await foldedDataset('gramstainr_species', await gramStainSpeciesFolds(join(dataRoot, 'gramstainr'), 5, 1), columns.filter((c) => c !== 'pytorch'));
  else results[name] = await medMnist(name);
}
console.log(JSON.stringify(results));
