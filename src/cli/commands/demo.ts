import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { datasetInputPxPerUm, readManifest, type Dataset, type Sample } from '../../data/index.ts';
import { formatReportTable } from '../../evaluate/index.ts';
import { evaluateBundleFields, fitBundleFieldDecision, fitBundleFieldReferral, fitBundleFieldSignature, judgePhoto, loadBundle, summarisePhotos, type FieldEvaluation, type LabelledPhoto, type PhotoSetSummary } from '../../inference/index.ts';
import { fitClassifier, writeFitReport, type FitResult } from '../../pipeline/index.ts';
import { CLASS_IDS, DEFAULT_PX_PER_UM, LABEL_TREE, MORPHOTYPE_GROUPS, type DifficultyOption, type SyntheticDatasetStatus } from '../../synth/index.ts';
import { FIELD_SIGNATURE_MARGIN, refusalMessage, type FieldSignatureStatistics } from '../../ood/index.ts';
import type { FieldReferral } from '../../contract/index.ts';
import { hashSeed } from '../../util/index.ts';
import { fieldTileDatasetStatus, writeFieldTileDataset, type FieldTileDatasetOptions } from '../../synth/photos/index.ts';
import { UsageError, stringOption, type CliContext, type Command, type OptionValues } from '../command.ts';
import { BACKEND_HELP, BACKEND_OPTION, OUT_OPTION, flagOptions, parseSeed, parseSize, parseStainNorm, parseTrainConfig, parseWorkers, valueOptions } from '../options.ts';
import { ProgressLine } from '../progress.ts';
import { fitProgressPrinter, startEngine } from '../shared.ts';
import { DIFFICULTY_NAMES, jsonOrName, parseFieldSize, parseSplits } from './synth.ts';

/** Fields per class in each split (training fields are small ones): about 7 minutes on 2 idle cores. */
const DEFAULT_SPLITS = 'train=24,val=4,test=5';
const DEFAULT_EPOCHS = 24;
/** Training fields: a quarter of a photo's pixels, so four times the patients for the same rendering time. */
const DEFAULT_TRAIN_FIELD_SIZE = '800x600';
/** Validation and test tiles of one label kept per field: enough for early stopping and the tile figures; the fields themselves are read whole. */
const PHOTO_TILES_PER_LABEL = 12;
/**
 * 'realistic' (tinted glass, faint stain, glare, no eyepiece circle) was measured as the default and
 * kept out of it for now: below the synthetic field bars and the must-refuse bar, and still "no
 * bacteria" on sparse real photos (README, "Quick start").
 */
const DEFAULT_DIFFICULTY = 'default';
/** Real phone photos of Gram-negative rods beside the checkout (GramStainR's reference strains), read after training when present. */
const DEFAULT_REAL_PHOTOS = join(import.meta.dirname, '../../../../shared/datasets/gramstainr/reference');

export const demoCommand: Command = {
  name: 'demo',
  help: `Usage: gramlens demo [options]

Runs gramlens end to end on its built-in synthetic Gram-stain generator, the way whole microscope
photos are read: renders eyepiece fields of new patients (9 classes, with stain faults, blur and
phone colour casts; with --difficulty realistic also tinted glass, faint stains and glare, some
cropped inside the field stop as real phone photos are; one field per patient) and cuts tiles from them exactly as a photo is
tiled at inference (gramlens synth --field-tiles): small training fields in OUT/data-train, photo-sized
validation and test fields in OUT/data. It trains the default model on the training tiles (the
validation tiles for early stopping and calibration), fits the whole-field decision and the field
signature (what refuses a whole photo unlike the microscope fields it was trained on) on the
validation fields and stores them in the model bundle, then reads every test field through the field
path (as predict --field and the web app do). Figures are given per test field (field macro-F1,
"several morphotypes" sensitivity on polymicrobial fields and specificity on single-morphotype
fields) and per test tile. A second run reuses a dataset when it was made with the same seed,
options and generator version.

Options:
  --out DIR           working folder (default gramlens-demo)
  --splits LIST       fields per class in each split (default ${DEFAULT_SPLITS}); training and
                      validation have twice as many polymicrobial fields
  --field-size WxH    validation and test fields in pixels at 9 px/µm (default 1600x1200)
  --train-field-size WxH   training fields (default ${DEFAULT_TRAIN_FIELD_SIZE})
  --size N            network input size (default 64)
  --epochs N          (default ${DEFAULT_EPOCHS})
  --seed N            (default 1)
  --difficulty clean|default|hard|realistic|JSON   how the synthetic photos vary (default
                      ${DEFAULT_DIFFICULTY}; realistic: also what varies between labs and phones,
                      see gramlens synth)
  --real-photos DIR|none   real photos of Gram-negative rods read through the field path after
                      training, as a check of the synthetic-to-real gap: the share answered GNR
                      goes in the report and the JSON line (default: GramStainR's reference/
                      photos when ../shared/datasets/gramstainr is beside the checkout; skipped
                      when absent)
  --stain-norm none|reinhard|macenko   stain normalisation (default none; see gramlens train)
  --workers N         threads rendering fields, and model replicas training in parallel
                      (default: one per CPU core)
  --json              end with one line of JSON: macro_f1, accuracy, multiple_sensitivity and
                      multiple_specificity per field, tile_macro_f1, tile_accuracy, train_seconds, ...
${BACKEND_HELP}`,
  options: { ...OUT_OPTION, ...valueOptions('splits', 'field-size', 'train-field-size', 'size', 'epochs', 'seed', 'difficulty', 'real-photos', 'stain-norm', 'workers'), ...flagOptions('json'), ...BACKEND_OPTION },
  async run(values, _positionals, context) {
    const out = stringOption(values, 'out') ?? 'gramlens-demo';
    const seed = parseSeed(values) ?? 1;
    const size = parseSize(values, 64);
    const stainNormalisation = parseStainNorm(values, 3);
    const workers = parseWorkers(values);
    const datasets = demoDatasetOptions(values, seed);
    const started = performance.now();
    await startEngine(values, context);
    const line = new ProgressLine();

    const trainDir = join(out, 'data-train');
    const photoDir = join(out, 'data');
    const wanted = [
      { dir: trainDir, options: datasets.train },
      { dir: photoDir, options: datasets.photos },
    ];
    // Both folders are checked before anything is rendered: a folder that is not a synthetic dataset stops the demo at once.
    const statuses = await Promise.all(wanted.map(({ dir, options }) => fieldTileDatasetStatus(dir, options)));
    for (const [i, { dir, options }] of wanted.entries()) {
      if (!(await prepareFields(dir, options, statuses[i], workers, line, context))) return cancelled(context);
    }
    const trainTiles = await readManifest(join(trainDir, 'manifest.csv'), { classes: CLASS_IDS });
    const photoTiles = await readManifest(join(photoDir, 'manifest.csv'), { classes: CLASS_IDS });
    const fields = await readManifest(join(photoDir, 'fields.csv'), { classes: CLASS_IDS });
    // The two datasets number their patients alike: the training fields' patients are others.
    const train = inSplit(trainTiles, 'train').map((sample) => ({ ...sample, patientId: `train-${sample.patientId}` }));
    const tiles: Dataset = { root: out, classes: trainTiles.classes, samples: [...train, ...photoTiles.samples] };
    const result = await fitClassifier(tiles, {
      size,
      pxPerUm: await datasetInputPxPerUm(trainDir, size),
      splits: { train, val: inSplit(photoTiles, 'val'), test: inSplit(photoTiles, 'test') },
      train: { epochs: DEFAULT_EPOCHS, seed, ...withoutUndefined(parseTrainConfig(values)) },
      augment: 'microscopy',
      stainNormalisation,
      workers,
      runDir: join(out, 'run'),
      labelTree: LABEL_TREE.map((node) => structuredClone(node)),
      signal: context.signal,
      onProgress: fitProgressPrinter(line),
      seed,
    });
    if (result.status === 'cancelled' || !result.report || !result.test) return cancelled(context);

    const photos = (split: string): LabelledPhoto[] => inSplit(fields, split).map((s) => ({ path: s.path, label: s.label }));
    const progress = (what: string) => (done: number, total: number) => line.update(done / total, `${what} ${done}/${total}`);
    const fieldPath = { pxPerUm: DEFAULT_PX_PER_UM, signal: context.signal };
    let fitted: Awaited<ReturnType<typeof fitBundleFieldDecision>>;
    let signature: FieldSignatureStatistics;
    let referral: FieldReferral;
    let evaluation: FieldEvaluation;
    let real: PhotoSetSummary | null;
    try {
      fitted = await fitBundleFieldDecision(result.bundleDir, photos('val'), { ...fieldPath, groups: [...MORPHOTYPE_GROUPS], onProgress: progress('validation fields') });
      // Without their scale, as a phone photo is read: the scale estimate is part of what the signature sees.
      signature = await fitBundleFieldSignature(result.bundleDir, photos('val'), { signal: context.signal, onProgress: progress('field signature') });
      referral = await fitBundleFieldReferral(result.bundleDir, photos('val'), { signal: context.signal, onProgress: progress('field referral') });
      evaluation = await evaluateBundleFields(result.bundleDir, photos('test'), { ...fieldPath, onProgress: progress('test fields') });
      real = await readRealPhotos(result.bundleDir, stringOption(values, 'real-photos') ?? DEFAULT_REAL_PHOTOS, context.signal, progress('real photos'));
    } catch (error) {
      if (context.signal.aborted) return cancelled(context);
      throw error;
    }
    const { params } = fitted;
    line.log(
      `whole-field decision (fitted on ${fitted.fields} validation fields): a morphotype needs ≥ ${params.minTiles} tiles at ≥ ${params.presenceThreshold} and ≥ ${Math.round(params.minShare * 100)}% ` +
        `of the organism tiles; two of one group need ≥ ${params.minTiles} tiles at ≥ ${params.groupThreshold} each`,
    );
    line.log(
      `field signature (fitted on ${signature.validation.fields} validation fields): a whole photo is refused beyond a distance of ${signature.threshold.toFixed(1)} ` +
        `(${FIELD_SIGNATURE_MARGIN} × the largest validation field's)`,
    );
    line.log(
      `field referral (fitted on the validation fields read without their scale): "uncertain: refer" when fewer than ${Math.round(referral.minEvidenceShare * 100)}% of the weakest ` +
        `finding's tiles are confident, or more than ${Math.round(referral.maxUnfamiliarShare * 100)}% of the tiles read are unfamiliar`,
    );

    context.out(`Per tile (${result.test.set.labels.length} tiles of patients never seen in training)\n`);
    context.out(formatReportTable(result.report));
    context.out(`\n${formatFieldFigures(evaluation)}`);
    if (real) context.out(formatRealPhotos(real));
    const { htmlPath } = await writeFitReport(join(out, 'report'), result, {
      title: 'Synthetic Gram stains: tiles of patients never seen in training',
      description: `gramlens synthetic Gram-stain fields (seed ${seed}) cut into tiles as photos are tiled at inference: 9 morphotype classes, stain faults, blur, phone colour casts`,
      classes: tiles.classes,
      labelTree: LABEL_TREE,
      seed,
      synthetic: true,
    });

    await printExamplePredictions(result.bundleDir, result.test.samples.slice(0, 5), context);
    const seconds = (performance.now() - started) / 1000;
    context.out(`\nModel bundle: ${result.bundleDir}\nReport: ${htmlPath}\nTotal time ${seconds.toFixed(0)} s`);
    if (values.json) context.out(JSON.stringify(demoSummary(result, result.report, evaluation, { ...fitted, referral }, signature, real, tiles.classes, seconds)));
    return 0;
  },
};

/** The two datasets: small training fields, and photo-sized validation and test fields of other patients (another seed). */
function demoDatasetOptions(values: OptionValues, seed: number): { train: FieldTileDatasetOptions; photos: FieldTileDatasetOptions } {
  const splits = parseSplits(stringOption(values, 'splits') ?? DEFAULT_SPLITS);
  const names = Object.keys(splits).sort().join(',');
  if (names !== 'test,train,val') throw new UsageError(`--splits must give train, val and test (e.g. ${DEFAULT_SPLITS}); got ${names}`);
  for (const [name, n] of Object.entries(splits)) if (n < 1) throw new UsageError(`--splits: ${name} needs at least 1 field per class`);
  const difficulty = jsonOrName<DifficultyOption>(values, 'difficulty', DIFFICULTY_NAMES) ?? DEFAULT_DIFFICULTY;
  // Polymicrobial fields are doubled in training and validation: their tiles carry every morphotype and the mixed tiles, and the decision's sensitivity is fitted on them.
  const perClass = (n: number) => ({ ...Object.fromEntries(CLASS_IDS.map((id) => [id, n])), polymicrobial: 2 * n });
  const size = (name: string, fallback?: string) => {
    const raw = stringOption(values, name) ?? fallback;
    const [fieldWidth, fieldHeight] = raw === undefined ? [] : parseFieldSize(raw);
    return { fieldWidth, fieldHeight };
  };
  return {
    train: { fieldsPerClass: { train: perClass(splits.train) }, ...size('train-field-size', DEFAULT_TRAIN_FIELD_SIZE), fieldsPerPatient: 1, difficulty, seed },
    photos: {
      fieldsPerClass: { val: perClass(splits.val), test: splits.test },
      ...size('field-size'),
      fieldsPerPatient: 1,
      maxTilesPerLabel: PHOTO_TILES_PER_LABEL,
      difficulty,
      seed: hashSeed(seed, 1),
    },
  };
}

/** Renders fields into dataDir unless it holds the same dataset already (status); false when cancelled. */
async function prepareFields(dataDir: string, options: FieldTileDatasetOptions, status: SyntheticDatasetStatus, workers: number, line: ProgressLine, context: CliContext): Promise<boolean> {
  if (status === 'same') {
    line.log(`using the synthetic fields already in ${dataDir} (same seed, options and generator version)`);
    return true;
  }
  line.log(`${status === 'different' ? 'remaking the synthetic dataset (it was made with other settings or an older generator)' : 'rendering'}: whole fields and their tiles in ${dataDir}`);
  try {
    const summary = await writeFieldTileDataset(dataDir, { ...options, workers, overwrite: true, signal: context.signal }, (done, total) => line.update(done / total, `rendering fields ${done}/${total}`));
    line.log(`${summary.fields} fields of ${summary.patients} patients, ${summary.tiles} tiles`);
    return true;
  } catch (error) {
    if (context.signal.aborted) return false;
    throw error;
  }
}

function formatFieldFigures(evaluation: FieldEvaluation): string {
  const { outcomes, perClass, classes } = evaluation;
  const pct = (v: number): string => (Number.isNaN(v) ? '—' : `${(v * 100).toFixed(1)}%`).padStart(7);
  const rows = perClass.map((m, c) => `${classes[c].padEnd(16)} ${String(m.support).padStart(4)} ${pct(m.sensitivity)} ${pct(m.specificity)} ${(Number.isNaN(m.f1) ? '—' : m.f1.toFixed(3)).padStart(7)}`);
  const missing = outcomes.filter((o) => o.answer === null).length;
  return [
    `Per whole field (${outcomes.length} test fields of patients never seen in training, each read through the field path: tiles, model, fitted decision)`,
    `${'class'.padEnd(16)} ${'n'.padStart(4)} ${'sens'.padStart(7)} ${'spec'.padStart(7)} ${'F1'.padStart(7)}`,
    ...rows,
    `field macro-F1 ${evaluation.macroF1.toFixed(3)}, accuracy ${evaluation.accuracy.toFixed(3)}${missing > 0 ? ` (${missing} without an answer: no field of view, or refused)` : ''}`,
    `several morphotypes: sensitivity ${pct(evaluation.multipleSensitivity).trim()} on polymicrobial fields, specificity ${pct(evaluation.multipleSpecificity).trim()} on single-morphotype fields`,
    `${evaluation.groupAnswers} fields answered with a Gram group (its morphotypes not told apart; right when the field's class is in it)`,
  ].join('\n');
}

/**
 * Every photo in DIR's species folders (all Gram-negative rods) through the field path, at the scale
 * estimated from its stained objects as for a phone without calibration; null when DIR is absent.
 */
async function readRealPhotos(bundleDir: string, dir: string, signal: AbortSignal, onProgress: (done: number, total: number) => void): Promise<PhotoSetSummary | null> {
  if (dir === 'none' || !existsSync(dir)) return null;
  const folders = (await readdir(dir, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => join(dir, entry.name));
  const photos = (await Promise.all(folders.map(async (folder) => (await readdir(folder)).filter((name) => /\.(jpe?g|png)$/i.test(name)).map((name) => join(folder, name))))).flat().sort();
  if (photos.length === 0) return null;
  const bundle = await loadBundle(bundleDir);
  try {
    const verdicts = [];
    for (const photo of photos) {
      verdicts.push(judgePhoto(await bundle.predictField(await readFile(photo), { signal }), 'gnr'));
      onProgress(verdicts.length, photos.length);
    }
    return summarisePhotos(verdicts);
  } finally {
    await bundle.dispose();
  }
}

function formatRealPhotos(real: PhotoSetSummary): string {
  const pct = (v: number): string => `${(v * 100).toFixed(0)}%`;
  const answers = Object.entries(real.answers).sort((a, b) => b[1] - a[1]).map(([answer, n]) => `${answer} ${n}`).join(', ');
  return `Real photos of Gram-negative rods (${real.photos}, read whole as a phone sends them): GNR ${pct(real.right)}, several morphotypes ${pct(real.multiple)}, wrong and confident ${pct(real.wrongAndConfident)}, refused or uncertain ${pct(real.refusedOrUncertain)} (${answers})`;
}

function inSplit(dataset: Dataset, split: string): Sample[] {
  return dataset.samples.filter((sample) => sample.extra?.split === split);
}

function cancelled(context: CliContext): number {
  context.err('demo cancelled');
  return 130;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A few unseen test tiles through the exported ONNX model, as a user would call it. */
async function printExamplePredictions(bundleDir: string, examples: readonly { path: string; label: string }[], context: CliContext): Promise<void> {
  const classifier = await loadBundle(bundleDir);
  const predictions = await classifier.predict(examples.map((s) => s.path));
  await classifier.dispose();
  context.out('\nPredictions on unseen test tiles (ONNX runtime):');
  predictions.forEach((p, i) => {
    if (p.refusal) return context.out(`  ${examples[i].label.padEnd(15)} -> ${refusalMessage(p.refusal)}`);
    const top = p.classes.slice(0, 3).map((c) => `${c.label} ${(c.probability * 100).toFixed(1)}%`).join(', ');
    context.out(`  ${examples[i].label.padEnd(15)} -> ${top}${p.uncertain ? '  [uncertain: refer]' : ''}`);
  });
}

/** The demo's JSON line: whole-field figures first, then the tile figures. */
function demoSummary(
  result: FitResult,
  report: NonNullable<FitResult['report']>,
  evaluation: FieldEvaluation,
  fitted: Awaited<ReturnType<typeof fitBundleFieldDecision>> & { referral: FieldReferral },
  signature: FieldSignatureStatistics,
  real: PhotoSetSummary | null,
  classes: readonly string[],
  seconds: number,
) {
  const { params } = fitted;
  return {
    macro_f1: evaluation.macroF1,
    accuracy: evaluation.accuracy,
    multiple_sensitivity: evaluation.multipleSensitivity,
    multiple_specificity: evaluation.multipleSpecificity,
    fields: evaluation.outcomes.length,
    fields_without_answer: evaluation.outcomes.filter((o) => o.answer === null).length,
    fields_group_answer: evaluation.groupAnswers,
    field_decision: params,
    val_fields: fitted.fields,
    field_signature_threshold: signature.threshold,
    field_referral: fitted.referral,
    real_photos: real && { photos: real.photos, gnr: real.right, gnr_confident: real.rightAndConfident, polymicrobial: real.multiple, wrong_and_confident: real.wrongAndConfident, refused_or_uncertain: real.refusedOrUncertain, answers: real.answers },
    tile_macro_f1: report.macroF1.value,
    tile_accuracy: report.accuracy.value,
    tile_macro_auc: report.macroAuc.value,
    ece: report.expectedCalibrationError,
    train_seconds: Math.round(result.trainSeconds * 10) / 10,
    total_seconds: Math.round(seconds * 10) / 10,
    classes,
    counts: result.counts,
    bundle: result.bundleDir,
  };
}
