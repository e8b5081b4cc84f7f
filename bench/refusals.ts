// npm run bench:refusals [-- --json] [--model DIR] [--data field-tiles|tiles] [--quick] [--n N] [--seed N]
// How often a model bundle refuses ("this is not something I can read") inputs it must refuse, and
// how often it refuses synthetic Gram stains of new patients, each sent as a single photo the way
// `gramlens predict` sends it (whole-field by default: large photos go through the field path).
// Must refuse, per source: blank and uniform frames, Gaussian and salt-and-pepper noise, blood
// smears (../shared/datasets/bccd-wbc), chest X-rays and breast ultrasound (MedMNIST test splits),
// drawn shapes, streets and pages of text. In distribution: synthetic test tiles and whole fields
// (1600 × 1200, without and with their scale) of patients the model never saw. The out-of-
// distribution thresholds were chosen on the model's validation images at training, never on these.
// Also the separation (AUROC against the in-distribution tiles) of the candidate scores on the
// model input: the squared Mahalanobis distances the bundle uses and the energy of the logits.
// Without --model, trains one (cached in the temp folder), 8 epochs at 64 px, seed 2, on
//   --data field-tiles (default): tiles cut from synthetic fields as the photo path cuts them
//     (train 8, validation 3, test 5 fields per class), its field signature fitted on the validation
//     fields (in a copy of the cached model); the test tiles and fields are its test split;
//   --data tiles: 1500 generator tiles (`gramlens synth --tiles 1500 --seed 2`); the test tiles are
//     600 generator tiles and the test fields 5 per class, of other seeds.
// Ends with one JSON line.
import { cpSync, existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { readManifest, type Dataset } from '../src/data/index.ts';
import { initEngine } from '../src/engine/index.ts';
import { rocAuc } from '../src/evaluate/index.ts';
import { fitBundleFieldSignature, loadBundle, type FieldPrediction } from '../src/inference/index.ts';
import { modelInput } from '../src/preprocess/index.ts';
import { fitClassifier, type FitOptions } from '../src/pipeline/index.ts';
import { writeFieldTileDataset } from '../src/synth/photos/index.ts';
import { CLASS_IDS, DEFAULT_PX_PER_UM, LABEL_TREE, generateField, writeSyntheticDataset } from '../src/synth/index.ts';
import { logitsModelOf } from '../src/train/index.ts';
import { createRng } from '../src/util/index.ts';
import { bloodSmears, blankImages, drawnScenes, gaussianNoise, medMnistTest, saltAndPepper, uniformImages, type SourceImage } from './lib/must-refuse.ts';
import { benchArgs, round } from './stats.ts';

const argv = process.argv.slice(2);
const { json, quick } = benchArgs(argv);
const option = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const integer = (name: string, fallback: number): number => {
  const value = Number(option(name) ?? fallback);
  if (!(Number.isInteger(value) && value >= 0)) throw new Error(`${name} must be a non-negative integer; got ${option(name)}`);
  return value;
};
const perSource = integer('--n', quick ? 12 : 100);
const testTiles = quick ? 60 : 600;
const fieldsPerClass = quick ? 1 : 5;
const seed = integer('--seed', 1);
const data = option('--data') ?? 'field-tiles';
if (data !== 'field-tiles' && data !== 'tiles') throw new Error(`--data must be field-tiles or tiles; got ${data}`);
const out = (line: string): boolean => (json ? process.stderr : process.stdout).write(`${line}\n`);
const log = (line: string): boolean => process.stderr.write(`${line}\n`);
const SHARED = join(import.meta.dirname, '../../shared/datasets');
const BARS = { mustRefuse: 0.95, inDistribution: 0.02 };

const started = performance.now();
const engine = await initEngine();
const work = join(tmpdir(), 'gramlens-bench-refusals');
const fieldTileData = join(work, `field-tiles-${quick ? 'quick' : 'full'}`);
const bundleDir = option('--model') ?? (data === 'tiles' ? await tileModel() : await withFieldSignature(await fieldTileModel()));
const bundle = await loadBundle(bundleDir);
out(`Refusal benchmark: model ${bundleDir} (${bundle.guard.scoresEmbeddings ? `OOD thresholds: features ${round(bundle.metadata.ood!.features.threshold, 1)}, colour ${round(bundle.metadata.ood!.colour?.threshold ?? null, 1)}` : 'no OOD statistics: image checks only'}), backend ${engine.backend}`);

/** The benchmark's model on generator tiles, trained once (kept in the temp folder for later runs). */
async function tileModel(): Promise<string> {
  const dataDir = join(work, 'train-data');
  const runDir = join(work, 'run');
  if (existsSync(join(runDir, 'model', 'metadata.json'))) return join(runDir, 'model');
  log('training the benchmark model: 1500 synthetic tiles (seed 2), 8 epochs');
  await writeSyntheticDataset(dataDir, { tiles: 1500, seed: 2, tilesPerField: 4, fieldsPerPatient: 2, overwrite: true });
  return train(await readManifest(join(dataDir, 'manifest.csv'), { classes: CLASS_IDS }), runDir);
}

/** The benchmark's model on tiles cut from synthetic fields, trained once; its test split is the in-distribution set. */
async function fieldTileModel(): Promise<string> {
  const runDir = join(work, `run-field-tiles-${quick ? 'quick' : 'full'}`);
  if (existsSync(join(runDir, 'model', 'metadata.json'))) return join(runDir, 'model');
  await renderFieldTiles();
  log('training the benchmark model on field tiles, 8 epochs');
  const tiles = await readManifest(join(fieldTileData, 'manifest.csv'), { classes: CLASS_IDS });
  const inSplit = (split: string) => tiles.samples.filter((sample) => sample.extra?.split === split);
  return train(tiles, runDir, { train: inSplit('train'), val: inSplit('val'), test: inSplit('test') });
}

/**
 * The field-tile model with its field signature fitted on the validation fields (read without their
 * scale, as the demo fits it), in a copy: a model trained and cached before the signature stays as it was.
 */
async function withFieldSignature(modelDir: string): Promise<string> {
  const fitted = `${modelDir}-field-signature`;
  if (existsSync(join(fitted, 'metadata.json'))) return fitted;
  const partial = `${fitted}.partial`;
  rmSync(partial, { recursive: true, force: true });
  cpSync(modelDir, partial, { recursive: true });
  const fields = (await readManifest(join(fieldTileData, 'fields.csv'), { classes: CLASS_IDS })).samples.filter((sample) => sample.extra?.split === 'val');
  log(`fitting the field signature on ${fields.length} validation fields`);
  await fitBundleFieldSignature(partial, fields.map((sample) => ({ path: sample.path, label: sample.label })));
  renameSync(partial, fitted);
  return fitted;
}

async function train(dataset: Dataset, runDir: string, splits?: FitOptions['splits']): Promise<string> {
  const result = await fitClassifier(dataset, {
    size: [64, 64],
    splits,
    train: { epochs: 8, seed: 2 },
    augment: 'microscopy',
    labelTree: LABEL_TREE.map((node) => structuredClone(node)),
    runDir,
    seed: 2,
  });
  return result.bundleDir;
}

interface Outcome {
  refused: boolean;
  reason: string | null;
  asField: boolean;
  /** For a whole field: the share of its tiles read that were unfamiliar. */
  unfamiliarShare: number | null;
  /** What an image that was not refused was answered: its top class, with ' (uncertain)' when referred. */
  answer: string | null;
}

const answerOf = (top: { label: string } | null, uncertain: boolean): string | null => (top ? `${top.label}${uncertain ? ' (uncertain)' : ''}` : null);

function fieldOutcome(field: FieldPrediction): Outcome {
  const read = field.refusal?.tiles?.read ?? field.tiles.filter((tile) => !tile.background).length;
  const unfamiliar = field.refusal?.tiles?.unfamiliar ?? field.tiles.filter((tile) => tile.unfamiliar).length;
  return { refused: field.refusal !== null, reason: field.refusal?.code ?? null, asField: true, unfamiliarShare: read > 0 ? unfamiliar / read : null, answer: answerOf(field.top, field.uncertain) };
}

/** Each photo as `gramlens predict` reads it, without a scale. */
async function read(images: readonly SourceImage[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for await (const reading of bundle.readPhotos(images.map((image) => image.bytes))) {
    if (reading.kind === 'field') outcomes.push(fieldOutcome(reading.field));
    else {
      const { prediction } = reading;
      outcomes.push({ refused: prediction.refusal !== null, reason: prediction.refusal?.code ?? null, asField: false, unfamiliarShare: null, answer: answerOf(prediction.top, prediction.uncertain) });
    }
  }
  return outcomes;
}

/** Whole fields through the field path with their scale (the device's calibration). */
async function readFieldsWithScale(images: readonly SourceImage[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const image of images) {
    outcomes.push(fieldOutcome(await bundle.predictField(image.bytes, { pxPerUm: DEFAULT_PX_PER_UM })));
  }
  return outcomes;
}

/** The model input of each image (resized by the bundle's policy), through both candidate scores. */
async function inputScores(images: readonly SourceImage[], logitsModel: Parameters<typeof logitsModelOf>[0]): Promise<{ mahalanobis: number[]; colour: number[]; energy: number[] }> {
  const decoded = await bundle.decode(images.map((image) => image.bytes));
  const { features } = await bundle.infer(decoded, { features: true });
  const { height, width, channels } = bundle.metadata.input;
  const energy = decoded.map((image) => {
    const logits = tf.tidy(() => (logitsModel.predict(tf.tensor4d(modelInput(image, bundle.metadata.input), [1, height, width, channels])) as tf.Tensor).dataSync());
    const max = Math.max(...logits);
    return -(max + Math.log(Array.from(logits).reduce((sum, z) => sum + Math.exp(z - max), 0)));
  });
  const scores = decoded.map((image, i) => bundle.guard.scores({ image, features: features?.[i] ?? null }));
  return { mahalanobis: scores.flatMap((score) => (score.features === null ? [] : [score.features])), colour: scores.flatMap((score) => (score.colour === null ? [] : [score.colour])), energy };
}

function auroc(inside: readonly number[], outside: readonly number[]): number | null {
  if (inside.length === 0 || outside.length === 0) return null;
  return rocAuc(Int32Array.from([...inside.map(() => 0), ...outside.map(() => 1)]), Float64Array.from([...inside, ...outside]));
}

/** Synthetic fields of new patients per split (seed 2) and the tiles cut from them, rendered once. */
async function renderFieldTiles(): Promise<void> {
  if (existsSync(join(fieldTileData, 'manifest.csv'))) return;
  log('rendering synthetic fields (train 8, validation 3, test 5 per class) and cutting their tiles');
  const perClass = quick ? { train: 2, val: 1, test: 1 } : { train: 8, val: 3, test: fieldsPerClass };
  await writeFieldTileDataset(fieldTileData, { fieldsPerClass: perClass, seed: 2, workers: availableParallelism(), overwrite: true });
}

/** The test split's tiles or fields of the field-tile data: patients the benchmark's model never saw. */
async function fieldTileTestSplit(file: 'manifest.csv' | 'fields.csv'): Promise<SourceImage[]> {
  await renderFieldTiles();
  const samples = (await readManifest(join(fieldTileData, file), { classes: CLASS_IDS })).samples.filter((sample) => sample.extra?.split === 'test');
  return Promise.all(samples.map(async (sample) => ({ name: sample.path, bytes: await readFile(sample.path) })));
}

async function inDistributionTiles(): Promise<SourceImage[]> {
  if (data === 'field-tiles') return fieldTileTestSplit('manifest.csv');
  const dir = join(work, `test-tiles-${testTiles}-${seed}`);
  // Another seed than the model's training data: new patients.
  if (!existsSync(join(dir, 'manifest.csv'))) await writeSyntheticDataset(dir, { tiles: testTiles, seed: 1000 + seed, tilesPerField: 4, fieldsPerPatient: 2, overwrite: true });
  const samples = (await readManifest(join(dir, 'manifest.csv'), { classes: CLASS_IDS })).samples;
  return Promise.all(samples.map(async (sample) => ({ name: sample.path, bytes: await readFile(sample.path) })));
}

async function inDistributionFields(): Promise<SourceImage[]> {
  if (data === 'field-tiles') return fieldTileTestSplit('fields.csv');
  const fields: SourceImage[] = [];
  for (const [c, label] of CLASS_IDS.entries()) {
    for (let i = 0; i < fieldsPerClass; i++) {
      const field = generateField({ label, seed: 50_000 + seed * 1000 + c * 100 + i });
      fields.push({ name: `${label}-${i}`, bytes: await sharp(Buffer.from(field.rgb), { raw: { width: field.width, height: field.height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer() });
    }
  }
  return fields;
}

const rng = createRng(seed);
const medmnist = join(SHARED, 'medmnist');
const bccd = join(SHARED, 'bccd-wbc');
const sources: Record<string, () => Promise<SourceImage[]>> = {
  blank: () => blankImages(perSource, rng.fork()),
  uniform: () => uniformImages(perSource, rng.fork()),
  'gaussian-noise': () => gaussianNoise(perSource, rng.fork()),
  'salt-and-pepper': () => saltAndPepper(perSource, rng.fork()),
  ...(existsSync(bccd) ? { 'blood-smear': () => bloodSmears(bccd, perSource, rng.fork()) } : {}),
  ...(existsSync(medmnist)
    ? { 'chest-xray': () => medMnistTest(join(medmnist, 'pneumoniamnist.npz'), 3 * perSource), 'breast-ultrasound': () => medMnistTest(join(medmnist, 'breastmnist.npz'), 3 * perSource) }
    : {}),
  'drawn-shapes': () => drawnScenes('shapes', perSource, rng.fork()),
  'drawn-street': () => drawnScenes('street', perSource, rng.fork()),
  'page-of-text': () => drawnScenes('text', perSource, rng.fork()),
};
if (!existsSync(SHARED) || readdirSync(SHARED).length === 0) log(`no shared datasets at ${SHARED}: blood smears and MedMNIST left out`);

const logitsModel = logitsModelOf(await bundle.tfModel());
const share = (outcomes: readonly Outcome[], test: (o: Outcome) => boolean) => (outcomes.length === 0 ? null : outcomes.filter(test).length / outcomes.length);
/** Median and largest share of unfamiliar tiles over the photos read as fields. */
const unfamiliarShares = (outcomes: readonly Outcome[]) => {
  const shares = outcomes.flatMap((o) => (o.unfamiliarShare === null ? [] : [o.unfamiliarShare])).sort((a, b) => a - b);
  return shares.length === 0 ? null : { median: round(shares[Math.floor((shares.length - 1) / 2)], 3), max: round(shares[shares.length - 1], 3) };
};
const countsOf = (values: readonly (string | null)[]) => {
  const counts: Record<string, number> = {};
  for (const value of values) if (value) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
};
const reasons = (outcomes: readonly Outcome[]) => countsOf(outcomes.map((o) => o.reason));
/** What the images that were not refused were answered (a class is false reassurance or a wrong read). */
const answers = (outcomes: readonly Outcome[]) => countsOf(outcomes.map((o) => (o.refused ? null : `${o.answer ?? 'no answer'} as ${o.asField ? 'field' : 'tile'}`)));

log('in distribution: synthetic test tiles and fields of new patients');
const tiles = await inDistributionTiles();
const tileOutcomes = await read(tiles);
const tileScores = await inputScores(tiles, logitsModel);
const fields = await inDistributionFields();
const fieldOutcomes = await read(fields);
const scaledFieldOutcomes = await readFieldsWithScale(fields);

const rows: Record<
  string,
  {
    n: number;
    refused: number | null;
    readAsField: number | null;
    refusedAsField: number | null;
    refusedAsTile: number | null;
    reasons: Record<string, number>;
    answers: Record<string, number>;
    unfamiliarTiles: ReturnType<typeof unfamiliarShares>; auroc: Record<'mahalanobis' | 'colour' | 'energy', number | null> }
> = {};
for (const [name, make] of Object.entries(sources)) {
  const t0 = performance.now();
  const images = await make();
  const outcomes = await read(images);
  const scores = await inputScores(images, logitsModel);
  rows[name] = {
    n: images.length,
    refused: share(outcomes, (o) => o.refused),
    readAsField: share(outcomes, (o) => o.asField),
    refusedAsField: share(outcomes.filter((o) => o.asField), (o) => o.refused),
    refusedAsTile: share(outcomes.filter((o) => !o.asField), (o) => o.refused),
    reasons: reasons(outcomes),
    answers: answers(outcomes),
    unfamiliarTiles: unfamiliarShares(outcomes),
    auroc: { mahalanobis: auroc(tileScores.mahalanobis, scores.mahalanobis), colour: auroc(tileScores.colour, scores.colour), energy: auroc(tileScores.energy, scores.energy) },
  };
  log(`  ${name}: ${images.length} images in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

const pct = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)}%`);
const auc = (value: number | null) => (value === null ? '—' : value.toFixed(3));
out('\nMust refuse (bar: >= 95% each)');
out(`${'source'.padEnd(18)} ${'n'.padStart(4)} ${'refused'.padStart(8)} ${'as field'.padStart(9)} ${'of fields'.padStart(9)} ${'of tiles'.padStart(8)}  AUROC features / colour / energy  reasons`);
for (const [name, row] of Object.entries(rows)) {
  const why = Object.entries(row.reasons).map(([code, count]) => `${code} ${count}`).join(', ');
  const tilesOut = row.unfamiliarTiles ? `; unfamiliar tiles per field median ${pct(row.unfamiliarTiles.median)}, max ${pct(row.unfamiliarTiles.max)}` : '';
  const answered = Object.entries(row.answers).map(([answer, count]) => `${answer} ${count}`).join(', ');
  out(`${name.padEnd(18)} ${String(row.n).padStart(4)} ${pct(row.refused).padStart(8)} ${pct(row.readAsField).padStart(9)} ${pct(row.refusedAsField).padStart(9)} ${pct(row.refusedAsTile).padStart(8)}  ${auc(row.auroc.mahalanobis).padStart(8)} / ${auc(row.auroc.colour)} / ${auc(row.auroc.energy).padEnd(8)}  ${why}${tilesOut}${answered ? `; passed, answered: ${answered}` : ''}`);
}
const inDistribution = {
  tiles: { n: tiles.length, refused: share(tileOutcomes, (o) => o.refused), reasons: reasons(tileOutcomes) },
  fields: { n: fields.length, refused: share(fieldOutcomes, (o) => o.refused), reasons: reasons(fieldOutcomes), unfamiliarTiles: unfamiliarShares(fieldOutcomes) },
  fieldsWithScale: { n: fields.length, refused: share(scaledFieldOutcomes, (o) => o.refused), reasons: reasons(scaledFieldOutcomes), unfamiliarTiles: unfamiliarShares(scaledFieldOutcomes) },
};
out('\nIn distribution (bar: <= 2% each)');
for (const [name, row] of Object.entries(inDistribution)) {
  const tilesOut = 'unfamiliarTiles' in row && row.unfamiliarTiles ? `  unfamiliar tiles per field median ${pct(row.unfamiliarTiles.median)}, max ${pct(row.unfamiliarTiles.max)}` : '';
  out(`${name.padEnd(18)} ${String(row.n).padStart(4)} ${pct(row.refused).padStart(8)}  ${Object.entries(row.reasons).map(([code, count]) => `${code} ${count}`).join(', ')}${tilesOut}`);
}
const passes = {
  mustRefuse: Object.values(rows).every((row) => (row.refused ?? 0) >= BARS.mustRefuse),
  inDistribution: Object.values(inDistribution).every((row) => (row.refused ?? 0) <= BARS.inDistribution),
};
const seconds = (performance.now() - started) / 1000;
out(`\nbars met: must refuse ${passes.mustRefuse ? 'yes' : 'no'}, in distribution ${passes.inDistribution ? 'yes' : 'no'}; ${seconds.toFixed(0)} s on a shared machine`);
await bundle.dispose();
console.log(
  JSON.stringify({
    model: bundleDir,
    data,
    oodStatistics: bundle.guard.scoresEmbeddings,
    thresholds: bundle.metadata.ood ? { features: bundle.metadata.ood.features.threshold, colour: bundle.metadata.ood.colour?.threshold ?? null } : null,
    imageChecks: bundle.guard.imageChecks,
    refused: Object.fromEntries(Object.entries(rows).map(([name, row]) => [name, round(row.refused, 4)])),
    sources: rows,
    inDistributionRefused: Object.fromEntries(Object.entries(inDistribution).map(([name, row]) => [name, round(row.refused, 4)])),
    inDistribution,
    bars: { ...BARS, met: passes },
    seconds: round(seconds, 0),
  }),
);

