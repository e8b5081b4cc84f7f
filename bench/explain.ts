// npm run bench:explain [-- --json] [--bundle DIR] [--tiles N] [--quick]
// Faithfulness of Grad-CAM, Grad-CAM++ and HiRes-CAM on synthetic Gram-stain tiles with object
// masks the model never saw: the pointing game (the map's maximum lies on an organism of the
// explained class), energy inside the organisms, deletion AUC against a random-order baseline,
// and the cost of one explanation against one prediction.
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { readManifest } from '../src/data/index.ts';
import { initEngine } from '../src/engine/index.ts';
import {
  CAM_METHODS,
  deletionCurve,
  energyInMask,
  explain,
  insertionCurve,
  pointingGame,
  type CamMethod,
} from '../src/explain/index.ts';
import { buildModel, loadBundleModel, type BundleMetadata } from '../src/models/index.ts';
import { fitClassifier } from '../src/pipeline/index.ts';
import { modelInput } from '../src/preprocess/index.ts';
import { CLASS_IDS, generateTile, isMorphotype, maskValueOf, MORPHOTYPES, writeSyntheticDataset, type ClassId } from '../src/synth/index.ts';
import { measureExplainCost } from './lib/index.ts';
import { benchArgs, median, round } from './stats.ts';

const argv = process.argv.slice(2);
const args = benchArgs(argv);
const option = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const tileCount = Number(option('--tiles') ?? (args.quick ? 40 : 200));
const log = (text: string) => process.stderr.write(`${text}\n`);

await initEngine();

async function trainedBundle(): Promise<string> {
  const given = option('--bundle');
  if (given) return given;
  if (existsSync('gramlens-demo/run/model/metadata.json')) return 'gramlens-demo/run/model';
  const dir = await mkdtemp(join(tmpdir(), 'gl-bench-explain-'));
  log(`no bundle given: training one on synthetic tiles in ${dir}`);
  await writeSyntheticDataset(join(dir, 'data'), { tiles: args.quick ? 800 : 3000, seed: 1, tilesPerField: 4, fieldsPerPatient: 2 });
  const dataset = await readManifest(join(dir, 'data', 'manifest.csv'), { classes: CLASS_IDS });
  const result = await fitClassifier(dataset, { size: [64, 64], train: { epochs: args.quick ? 3 : 12 }, augment: 'microscopy', runDir: join(dir, 'run'), workers: availableParallelism() });
  return result.bundleDir;
}

/** A synthetic tile at the model's input: pixels normalised as in training, and its mask at tile resolution. */
async function testTile(metadata: BundleMetadata, label: ClassId, seed: number) {
  const tile = generateTile({ label, seed, size: 96 });
  const { height, width } = metadata.input;
  const resized = await sharp(tile.rgb, { raw: { width: tile.width, height: tile.height, channels: 3 } }).resize(width, height, { fit: 'fill' }).raw().toBuffer();
  const normalised = modelInput({ data: Float32Array.from(resized, (v) => v / 255), height, width, channels: 3 }, metadata.input);
  return { tile, normalised };
}

// The pointing game's usual tolerance (Zhang et al., 2018): 15 pixels at 224, here scaled to the 96-pixel tile.
const POINTING_TOLERANCE = Math.round((15 / 224) * 96);

const bundle = await trainedBundle();
const { model, metadata } = await loadBundleModel(bundle);
const classIndex = (id: string) => metadata.classes.indexOf(id);
const organismLabels = MORPHOTYPES.map((m) => maskValueOf(m));
const bacterialClasses = CLASS_IDS.filter((id) => id !== 'no_bacteria');

const pointing: Record<CamMethod, number[]> = { gradcam: [], 'gradcam++': [], hirescam: [] };
const energy: Record<CamMethod, number[]> = { gradcam: [], 'gradcam++': [], hirescam: [] };
const deletion: number[] = [];
const randomDeletion: number[] = [];
const insertion: number[] = [];
const randomInsertion: number[] = [];
let correct = 0;
const { height, width } = metadata.input;
const predict = (batch: Float32Array, count: number) =>
  tf.tidy(() => (model.predict(tf.tensor4d(batch, [count, height, width, 3])) as tf.Tensor).dataSync() as Float32Array);

for (let i = 0; i < tileCount; i++) {
  const label = bacterialClasses[i % bacterialClasses.length];
  const { tile, normalised } = await testTile(metadata, label, 900_000 + i);
  const target = classIndex(label);
  // Organisms of the explained class: its own morphotype, or any organism for a polymicrobial tile.
  const inTarget = Uint8Array.from(tile.mask, (v) => (isMorphotype(label) ? v === maskValueOf(label) : organismLabels.includes(v)) ? 1 : 0);
  const mask = { data: inTarget, height: tile.height, width: tile.width };
  const probabilities = predict(normalised, 1);
  if (probabilities.indexOf(Math.max(...probabilities)) === target) correct++;
  for (const method of CAM_METHODS) {
    const heatmap = explain(model, normalised, { method, targetClass: target });
    pointing[method].push(pointingGame(heatmap, mask, { label: 1, tolerance: POINTING_TOLERANCE }).hit ? 1 : 0);
    energy[method].push(energyInMask(heatmap, mask, { label: 1 }));
    if (method === 'gradcam' && i % (args.quick ? 4 : 2) === 0) {
      const image = { data: normalised, height, width, channels: 3 };
      deletion.push((await deletionCurve(predict, image, heatmap, { steps: 16, order: 'saliency', targetClass: target })).auc);
      randomDeletion.push((await deletionCurve(predict, image, heatmap, { steps: 16, order: 'random', seed: i, targetClass: target })).auc);
      insertion.push((await insertionCurve(predict, image, heatmap, { steps: 16, order: 'saliency', targetClass: target })).auc);
      randomInsertion.push((await insertionCurve(predict, image, heatmap, { steps: 16, order: 'random', seed: i, targetClass: target })).auc);
    }
  }
  if ((i + 1) % 50 === 0) log(`  ${i + 1}/${tileCount} tiles`);
}

// The cost bar is stated for a 224×224 input: the default architecture at that size (weights do not matter for time).
const model224 = buildModel('resnet-small', { inputShape: [224, 224, 3], numClasses: metadata.classes.length });
const cost = measureExplainCost(model224, { repeats: args.quick ? 3 : 15, warmup: 3, seed: 1, method: 'gradcam' });
model224.dispose();

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const result = {
  bundle,
  tiles: tileCount,
  tile_accuracy: round(correct / tileCount, 3),
  pointing_tolerance_px: POINTING_TOLERANCE,
  pointing_game: Object.fromEntries(CAM_METHODS.map((m) => [m, round(mean(pointing[m]), 3)])),
  energy_in_mask: Object.fromEntries(CAM_METHODS.map((m) => [m, round(mean(energy[m]), 3)])),
  deletion_auc: round(mean(deletion), 4),
  random_deletion_auc: round(mean(randomDeletion), 4),
  deletion_over_random: round(mean(deletion) / mean(randomDeletion), 3),
  deletion_auc_median: round(median(deletion), 4),
  insertion_auc: round(mean(insertion), 4),
  random_insertion_auc: round(mean(randomInsertion), 4),
  explain_over_predict_time: round(cost.fastRatio ?? cost.gradientRatio, 3),
  explain_gradient_over_predict_time: round(cost.gradientRatio, 3),
  predict_ms_224: round(cost.predictMs, 2),
};
console.log(`Explanation faithfulness on ${tileCount} unseen synthetic tiles with organisms (model accuracy on them ${(result.tile_accuracy! * 100).toFixed(1)}%); pointing tolerance ${POINTING_TOLERANCE} px of 96`);
for (const m of CAM_METHODS) console.log(`  ${m.padEnd(10)} pointing game ${result.pointing_game[m]}   energy in organisms ${result.energy_in_mask[m]}`);
console.log(`  deletion AUC (Grad-CAM order) ${result.deletion_auc} vs random order ${result.random_deletion_auc}: ratio ${result.deletion_over_random}`);
console.log(`  insertion AUC (Grad-CAM order) ${result.insertion_auc} vs random order ${result.random_insertion_auc} (higher is better)`);
console.log(`  explain / predict time at 224×224 (resnet-small): fast path ${cost.fastRatio?.toFixed(2) ?? '—'}, gradient path ${cost.gradientRatio.toFixed(2)}`);
if (args.json) console.log(JSON.stringify(result));
