// npm run bench:fields [-- --json] [--quick] [--fields-per-class N] [--val-fields-per-class N]
//   [--test-fields-per-class N] [--epochs N] [--seed N] [--workers N] [--gate-n N] [--data DIR]
// Whole microscope fields: renders synthetic eyepiece photos of new patients per split, cuts the
// training fields into tiles with the inference tiler (labels from the generator's masks), trains a
// tile model, fits the field decision rule (presence threshold, least tiles) on validation fields
// only, then predicts every test field through the bundle's predictField once: field macro-F1 on
// the 9 classes and "multiple bacteria" (polymicrobial) sensitivity/specificity. Also the quality
// gate's flag rates and the wall time of one 12-megapixel photo. Ends with one JSON line; --json
// sends the table to stderr so that stdout holds only that line.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { readManifest, type Sample } from '../src/data/index.ts';
import { initEngine } from '../src/engine/index.ts';
import { bootstrapCi, confusionMatrix, perClassMetrics, type ClassMetrics } from '../src/evaluate/index.ts';
import { fitFieldDecision, type FieldDecisionParams, type LabelledField } from '../src/fields/index.ts';
import { DEFAULT_BACKGROUND_CLASS, DEFAULT_MIXED_CLASS, loadBundle } from '../src/inference/index.ts';
import { readBundleMetadata } from '../src/models/index.ts';
import { fitClassifier } from '../src/pipeline/index.ts';
import { CLASS_IDS, DEFAULT_PX_PER_UM, LABEL_TREE } from '../src/synth/index.ts';
import { FIELD_TILES_FORMAT_VERSION, measureQualityGate, writeFieldTileDataset } from '../src/synth/photos/index.ts';
import { writeFileAtomically } from '../src/io/index.ts';
import { benchArgs, median } from './stats.ts';

const argv = process.argv.slice(2);
const { json, quick } = benchArgs(argv);
const option = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const integer = (name: string, fallback: number, min = 1): number => {
  const value = Number(option(name) ?? fallback);
  if (!(Number.isInteger(value) && value >= min)) throw new Error(`${name} must be an integer >= ${min}; got ${option(name)}`);
  return value;
};
const trainPerClass = integer('--fields-per-class', quick ? 4 : 30);
const valPerClass = integer('--val-fields-per-class', quick ? 2 : 10);
const testPerClass = integer('--test-fields-per-class', quick ? 2 : 20);
const epochs = integer('--epochs', quick ? 2 : 25);
const seed = integer('--seed', 1, 0);
const workers = integer('--workers', availableParallelism());
const gateN = integer('--gate-n', quick ? 6 : 30);
const out = (line: string): boolean => (json ? process.stderr : process.stdout).write(`${line}\n`);
const log = (line: string): boolean => process.stderr.write(`${line}\n`);

const BAR = { macroF1: 0.9, sensitivity: 0.85, specificity: 0.9 };
/** Field photos are rendered at the generator's scale; the 12-megapixel photo is the same field 2.5x larger. */
const FIELD_PX_PER_UM = DEFAULT_PX_PER_UM;
const PHOTO_UPSCALE = 2.5;
const PHOTO_REPEATS = 7;
/** Tiles of one label kept per field: every field contributes, and training stays near 12k tiles (25 epochs in ~7 min on 2 cores). */
const MAX_TILES_PER_LABEL = 24;

const started = performance.now();
const engine = await initEngine();

// Polymicrobial fields are doubled in training: their tiles carry every morphotype and the mixed tiles.
const datasetOptions = {
  fieldsPerClass: { train: { ...Object.fromEntries(CLASS_IDS.map((id) => [id, trainPerClass])), polymicrobial: 2 * trainPerClass }, val: valPerClass, test: testPerClass },
  maxTilesPerLabel: MAX_TILES_PER_LABEL,
  seed,
};
const dataKey = createHash('sha256').update(JSON.stringify({ ...datasetOptions, format: FIELD_TILES_FORMAT_VERSION })).digest('hex').slice(0, 12);
const dataDir = option('--data') ?? join(tmpdir(), 'gramlens-bench-fields', dataKey);
const runDir = join(dataDir, '..', `run-${dataKey}-e${epochs}`);
out(`Whole-field benchmark: backend ${engine.backend}, ${workers} worker(s), seed ${seed}; data ${dataDir}`);

if (!existsSync(join(dataDir, 'dataset.json'))) {
  log(`rendering fields (train ${trainPerClass}/class, polymicrobial ${2 * trainPerClass}; val ${valPerClass}/class; test ${testPerClass}/class)`);
  const t0 = performance.now();
  const summary = await writeFieldTileDataset(dataDir, { ...datasetOptions, workers, overwrite: true }, (done, total) => {
    if (done % 10 === 0 || done === total) log(`  ${done}/${total} fields, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  });
  log(`  ${summary.tiles} tiles (${summary.tilesDropped} left out) from ${summary.fields} fields of ${summary.patients} patients in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
} else {
  log('using the fields already rendered there');
}

const tiles = await readManifest(join(dataDir, 'manifest.csv'), { classes: CLASS_IDS });
const fields = await readManifest(join(dataDir, 'fields.csv'), { classes: CLASS_IDS });
const splitOf = (sample: Sample): string => sample.extra?.split ?? '';
const inSplit = (samples: readonly Sample[], split: string): Sample[] => samples.filter((s) => splitOf(s) === split);
const tileCounts = Object.fromEntries(CLASS_IDS.map((id) => [id, inSplit(tiles.samples, 'train').filter((s) => s.label === id).length]));
out(`Training tiles per class: ${CLASS_IDS.map((id) => `${id} ${tileCounts[id]}`).join(', ')}`);

// The tile model: tiles of training patients; validation tiles for early stopping and temperature.
const fit = await fitClassifier(tiles, {
  size: [64, 64],
  splits: { train: inSplit(tiles.samples, 'train'), val: inSplit(tiles.samples, 'val'), test: inSplit(tiles.samples, 'test') },
  train: { epochs, seed },
  augment: 'microscopy',
  workers,
  runDir,
  labelTree: LABEL_TREE.map((node) => structuredClone(node)),
  seed,
  onProgress: (event) => {
    if (event.kind === 'decode' && event.done === event.total) log(`  decoded ${event.total} ${event.split} tiles`);
    if (event.kind !== 'train' || event.event.kind !== 'epoch') return;
    const { record, improved } = event.event;
    log(`  epoch ${record.epoch + 1}/${epochs}  loss ${record.loss.toFixed(3)}  val loss ${record.valLoss.toFixed(3)}  val acc ${record.valAccuracy.toFixed(3)}  ${record.seconds.toFixed(0)} s${improved ? '  *' : ''}`);
  },
});
if (!fit.metadata || !fit.report) throw new Error('training was cancelled');
const bundleDir = fit.bundleDir;
const metadata = fit.metadata;
if (metadata.input.pxPerUm === undefined) throw new Error('the trained bundle does not record its input scale (input.pxPerUm)');

// The decision rule, on validation fields only.
log('fitting the field decision on validation fields');
// The bundle has no fieldDecision yet: tile probabilities do not depend on it.
const valBundle = await loadBundle(bundleDir);
const valFields: LabelledField[] = [];
let valWithoutTiles = 0;
for (const field of inSplit(fields.samples, 'val')) {
  const { tiles } = await valBundle.predictField(await readFile(field.path), { pxPerUm: FIELD_PX_PER_UM, force: true });
  if (tiles.length > 0) valFields.push({ label: field.label, tileProbabilities: tiles.map((tile) => tile.probabilities) });
  else valWithoutTiles++; // no field of view found: no rule can answer it
}
const decisionSearch = { classes: metadata.classes, backgroundClass: DEFAULT_BACKGROUND_CLASS, mixedClass: DEFAULT_MIXED_CLASS, minMixedSpecificity: BAR.specificity };
const fitted = fitFieldDecision(valFields, decisionSearch);
const fieldDecision: FieldDecisionParams = fitted.params;
await writeFileAtomically(join(bundleDir, 'metadata.json'), JSON.stringify({ ...(await readBundleMetadata(bundleDir)), fieldDecision }, null, 2));
out(
  `Field decision (validation, ${valFields.length} fields${valWithoutTiles ? `, ${valWithoutTiles} without tiles left out` : ''}): presence ≥ ${fieldDecision.presenceThreshold} on ≥ ${fieldDecision.minTiles} tiles; ` +
    `val macro-F1 ${fitted.macroF1.toFixed(3)}, multiple sensitivity ${fitted.mixedSensitivity.toFixed(3)}, specificity ${fitted.mixedSpecificity.toFixed(3)}${fitted.feasible ? '' : ' (no rule reached the specificity bar)'}`,
);

// Test fields, once, through the serving path (predictField reads fieldDecision from the bundle).
log('predicting the test fields');
await valBundle.dispose();
const bundle = await loadBundle(bundleDir);
const testFields = inSplit(fields.samples, 'test');
/** Column of the fields the pipeline gave no answer (no field of view, so no tile): wrong for every class. */
const NO_ANSWER = CLASS_IDS.length;
const classIndex = (label: string): number => CLASS_IDS.indexOf(label as (typeof CLASS_IDS)[number]);
const truth = Int32Array.from(testFields, (f) => classIndex(f.label));
const predicted = new Int32Array(testFields.length);
const multiple: boolean[] = [];
const gateReasons: string[] = [];
for (const [i, field] of testFields.entries()) {
  const photo = await readFile(field.path);
  const prediction = await bundle.predictField(photo, { pxPerUm: FIELD_PX_PER_UM, force: true });
  if (!prediction.quality.ok) gateReasons.push(`${field.extra?.field_id} (${field.label}): ${prediction.quality.reasons.join(', ')}${prediction.decision ? '' : ', no answer'}`);
  predicted[i] = prediction.decision ? classIndex(prediction.decision.label) : NO_ANSWER;
  multiple.push(prediction.decision?.multiple ?? false);
}
/** Per-class metrics of the 9 classes (a field without an answer counts as a miss of its class); weights = bootstrap counts. */
const classMetrics = (weights?: ArrayLike<number>): ClassMetrics[] => perClassMetrics(confusionMatrix(truth, predicted, CLASS_IDS.length + 1, weights)).slice(0, NO_ANSWER);
const macroOf = (metrics: ClassMetrics[]): number => {
  const defined = metrics.map((m) => m.f1).filter((f1) => !Number.isNaN(f1));
  return defined.reduce((a, b) => a + b, 0) / defined.length;
};
const perClass = classMetrics();
const fieldMacroF1 = macroOf(perClass);
const fieldAccuracy = perClass.reduce((sum, m) => sum + m.tp, 0) / testFields.length;
const macroCi = bootstrapCi((weights) => macroOf(classMetrics(weights)), { n: testFields.length, groups: testFields.map((f) => f.patientId), seed });
const isMixed = testFields.map((f) => f.label === DEFAULT_MIXED_CLASS);
const multiSensitivity = share(multiple.filter((m, i) => isMixed[i] && m).length, isMixed.filter(Boolean).length);
const multiSpecificity = share(multiple.filter((m, i) => !isMixed[i] && !m).length, isMixed.filter((m) => !m).length);

// Quality gate flag rates.
log(`quality gate: ${gateN} clean and ${gateN} degraded fields`);
const gate = measureQualityGate(gateN, seed);

// Wall time of one 12-megapixel photo: decode, quality, tiles, inference, decision, tile map.
const sample = sharp(await readFile(testFields[predicted.findIndex((p) => p !== NO_ANSWER)].path));
const { width = 1600, height = 1200 } = await sample.metadata();
const bigPhoto = await sample.resize(Math.round(width * PHOTO_UPSCALE), Math.round(height * PHOTO_UPSCALE)).jpeg({ quality: 90 }).toBuffer();
const photoTimes: number[] = [];
for (let i = 0; i <= PHOTO_REPEATS; i++) {
  const t0 = performance.now();
  await bundle.predictField(bigPhoto, { pxPerUm: FIELD_PX_PER_UM * PHOTO_UPSCALE, force: true });
  if (i > 0) photoTimes.push((performance.now() - t0) / 1000);
}
await bundle.dispose();
const photoSeconds = median(photoTimes);

out('');
out(`Test fields (${testFields.length} fields of ${new Set(testFields.map((f) => f.patientId)).size} new patients; ${gateReasons.length} failed the quality gate and were predicted anyway where tiles were found)`);
for (const reason of gateReasons) out(`  ${reason}`);
out(['class'.padEnd(16), 'n'.padStart(4), 'sens'.padStart(7), 'spec'.padStart(7), 'F1'.padStart(7)].join(' '));
perClass.forEach((row, c) => out([CLASS_IDS[c].padEnd(16), String(row.support).padStart(4), pct(row.sensitivity), pct(row.specificity), fmt(row.f1).padStart(7)].join(' ')));
out(`field macro-F1 ${fmt(fieldMacroF1)} (95% CI ${fmt(macroCi.lower)}–${fmt(macroCi.upper)}, patient bootstrap), accuracy ${fmt(fieldAccuracy)}`);
out(`multiple bacteria: sensitivity ${fmt(multiSensitivity)}, specificity ${fmt(multiSpecificity)}`);
out(`confusion (rows true, columns predicted: ${CLASS_IDS.map((id, i) => `${i} ${id}`).join(', ')}, ${NO_ANSWER} no answer):`);
confusionMatrix(truth, predicted, CLASS_IDS.length + 1).slice(0, NO_ANSWER).forEach((row, i) => out(`  ${i} ${row.map((v) => String(v).padStart(3)).join(' ')}`));
out(`tile model: test tile macro-F1 ${fmt(fit.report.macroF1.value)}, ${fit.counts.train} training tiles, trained in ${fit.trainSeconds.toFixed(0)} s (${epochs} epochs, best ${fit.training.bestEpoch + 1})`);
out(`quality gate (n = ${gateN} each): clean flagged ${pct(gate.cleanFlaggedRate)}, degraded flagged ${pct(gate.degradedFlaggedRate)}`);
out(`12-megapixel photo to field answer and tile map: median ${photoSeconds.toFixed(2)} s of ${PHOTO_REPEATS}`);
const checks = [
  [`field macro-F1 ≥ ${BAR.macroF1}`, fieldMacroF1 >= BAR.macroF1],
  [`multiple sensitivity ≥ ${BAR.sensitivity}`, multiSensitivity >= BAR.sensitivity],
  [`multiple specificity ≥ ${BAR.specificity}`, multiSpecificity >= BAR.specificity],
] as const;
out(checks.map(([what, met]) => `${what} ${met ? 'met' : 'MISSED'}`).join(', '));
out(`total ${((performance.now() - started) / 60000).toFixed(1)} min`);

console.log(
  JSON.stringify({
    field_macro_f1: round(fieldMacroF1),
    field_macro_f1_ci95: [round(macroCi.lower), round(macroCi.upper)],
    field_accuracy: round(fieldAccuracy),
    test_fields_without_answer: predicted.filter((p) => p === NO_ANSWER).length,
    multi_sensitivity: round(multiSensitivity),
    multi_specificity: round(multiSpecificity),
    photo_seconds: round(photoSeconds, 3),
    quality_flag_degraded: round(gate.degradedFlaggedRate),
    quality_flag_clean: round(gate.cleanFlaggedRate),
    quality_gate_n: gateN,
    test_fields: testFields.length,
    val_fields: valFields.length,
    field_decision: fieldDecision,
    tile_macro_f1: round(fit.report.macroF1.value),
    train_tiles: fit.counts.train,
    train_seconds: round(fit.trainSeconds, 1),
    bundle: bundleDir,
  }),
);

function share(count: number, total: number): number {
  return total === 0 ? Number.NaN : count / total;
}

function fmt(value: number | null): string {
  return value === null || Number.isNaN(value) ? '—' : value.toFixed(3);
}

function pct(value: number | null): string {
  return (value === null || Number.isNaN(value) ? '—' : `${(value * 100).toFixed(1)}%`).padStart(7);
}

function round(value: number | null, digits = 4): number | null {
  return value === null || !Number.isFinite(value) ? null : Number(value.toFixed(digits));
}
