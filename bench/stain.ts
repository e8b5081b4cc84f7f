// npm run bench:stain [-- --json] [--tiles N] [--size N] [--epochs N] [--seeds N] [--cast X] [--methods LIST] [--quick]
// Does stain normalisation help under a camera shift? Synthetic Gram-stain tiles; the model trains
// on patients photographed with four phones (warm, greenish, neutral, yellowish casts) and is tested
// on held-out patients of those phones (in-domain) and on every patient of the other four (cool
// lilac, magenta, blue, violet casts: shifted). The same splits, seeds and recipe with
// --stain-norm none, reinhard and macenko; macro-F1 side by side, and the paired difference to
// none on the shifted phones with a patient-level bootstrap 95% interval.
import { mkdtemp } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImages, readManifest, splitByPatient, type Sample } from '../src/data/index.ts';
import { initEngine } from '../src/engine/index.ts';
import { accuracy, bootstrapCi, confusionMatrix, macroF1 } from '../src/evaluate/index.ts';
import { fitClassifier, packImages } from '../src/pipeline/index.ts';
import { STAIN_METHODS, normaliseSetStains, stainReferenceOf, type StainMethod } from '../src/preprocess/index.ts';
import { CLASS_IDS, writeSyntheticDataset } from '../src/synth/index.ts';
import { hashSeed } from '../src/util/index.ts';
import { benchArgs, median, round } from './stats.ts';

const argv = process.argv.slice(2);
const args = benchArgs(argv);
const option = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const tiles = Number(option('--tiles') ?? (args.quick ? 800 : 2000));
const size = Number(option('--size') ?? 48);
const epochs = Number(option('--epochs') ?? (args.quick ? 3 : 15));
const seeds = Number(option('--seeds') ?? (args.quick ? 1 : 2));
const colourCast = Number(option('--cast') ?? 1);
const out = (line: string) => (args.json ? process.stderr : process.stdout).write(`${line}\n`);
const log = (line: string) => process.stderr.write(`${line}\n`);

/** Phones of the training patients; every other phone is the shifted test. */
const TRAINING_DEVICES = new Set(['phone-b', 'phone-c', 'phone-e', 'phone-f']);
const METHODS = ['none', ...(option('--methods')?.split(',') ?? STAIN_METHODS)] as (StainMethod | 'none')[];
for (const method of METHODS.slice(1)) if (!STAIN_METHODS.includes(method as StainMethod)) throw new Error(`--methods takes ${STAIN_METHODS.join(', ')}; got "${method}"`);

await initEngine();
const workers = availableParallelism();
const work = await mkdtemp(join(tmpdir(), 'gl-bench-stain-'));
out(`stain normalisation under a phone shift: ${tiles} synthetic tiles at ${size} px, colour cast ×${colourCast}, ${epochs} epochs, ${seeds} seed(s), ${workers} worker(s); runs in ${work}`);

interface MethodRun {
  inDomain: number;
  shifted: number;
  shiftedAccuracy: number;
  trainSeconds: number;
  predicted: Int32Array;
}

const rows: Record<string, { seed: number; inDomain: number; shifted: number; shiftedAccuracy: number; trainSeconds: number; gainOverNone: [number, number, number] | null }[]> = {};
for (let seed = 1; seed <= seeds; seed++) {
  const dataDir = join(work, `data-${seed}`);
  await writeSyntheticDataset(dataDir, { tiles, tileSize: size, pxPerUm: (9 * size) / 96, seed, prevalence: 'balanced', difficulty: { colourCast } });
  const dataset = await readManifest(join(dataDir, 'manifest.csv'), { classes: CLASS_IDS });
  const inDomain = splitByPatient(
    dataset.samples.filter((s) => TRAINING_DEVICES.has(s.device ?? '')),
    { fractions: { train: 0.7, val: 0.15, test: 0.15 }, seed },
  );
  const shifted = dataset.samples.filter((s) => !TRAINING_DEVICES.has(s.device ?? ''));
  const splits = { train: inDomain.train, val: inDomain.val, test: [...inDomain.test, ...shifted] };
  log(`seed ${seed}: ${splits.train.length} train, ${splits.val.length} validation, ${inDomain.test.length} in-domain test, ${shifted.length} shifted test tiles`);

  const runs = new Map<string, MethodRun>();
  let truth: { labels: Int32Array; samples: Sample[] } | null = null;
  for (const method of METHODS) {
    const result = await fitClassifier(dataset, {
      size: [size, size],
      train: { epochs, seed },
      augment: 'microscopy',
      splits,
      stainNormalisation: method,
      workers,
      runDir: join(work, `run-${seed}-${method}`),
      seed,
    });
    if (!result.test) throw new Error('no test predictions');
    const { set, samples, probabilities } = result.test;
    const k = dataset.classes.length;
    const predicted = Int32Array.from(set.labels, (_, i) => {
      let best = 0;
      for (let c = 1; c < k; c++) if (probabilities[i * k + c] > probabilities[i * k + best]) best = c;
      return best;
    });
    truth ??= { labels: set.labels, samples };
    const subset = (keep: (s: Sample) => boolean) => {
      const indices = samples.flatMap((s, i) => (keep(s) ? [i] : []));
      return confusionMatrix(indices.map((i) => set.labels[i]), indices.map((i) => predicted[i]), k);
    };
    const shiftedCm = subset((s) => !TRAINING_DEVICES.has(s.device ?? ''));
    runs.set(method, {
      inDomain: macroF1(subset((s) => TRAINING_DEVICES.has(s.device ?? ''))),
      shifted: macroF1(shiftedCm),
      shiftedAccuracy: accuracy(shiftedCm),
      trainSeconds: result.trainSeconds,
      predicted,
    });
    log(`  ${method}: macro-F1 in-domain ${runs.get(method)!.inDomain.toFixed(3)}, shifted ${runs.get(method)!.shifted.toFixed(3)} (${result.trainSeconds.toFixed(0)} s)`);
  }

  // Paired, patient-level bootstrap of the shifted macro-F1 difference to no normalisation.
  const { labels, samples } = truth!;
  const shiftedIndices = samples.flatMap((s, i) => (TRAINING_DEVICES.has(s.device ?? '') ? [] : [i]));
  const shiftedLabels = shiftedIndices.map((i) => labels[i]);
  const none = runs.get('none')!;
  for (const method of METHODS) {
    const run = runs.get(method)!;
    let gain: [number, number, number] | null = null;
    if (method !== 'none') {
      const f1 = (predicted: Int32Array, weights: ArrayLike<number>) => macroF1(confusionMatrix(shiftedLabels, shiftedIndices.map((i) => predicted[i]), CLASS_IDS.length, weights));
      const ci = bootstrapCi((weights) => f1(run.predicted, weights) - f1(none.predicted, weights), {
        n: shiftedIndices.length,
        groups: shiftedIndices.map((i) => samples[i].patientId),
        iterations: 500,
        seed: hashSeed(seed, 7),
      });
      gain = [run.shifted - none.shifted, ci.lower, ci.upper];
    }
    (rows[method] ??= []).push({ seed, inDomain: run.inDomain, shifted: run.shifted, shiftedAccuracy: run.shiftedAccuracy, trainSeconds: run.trainSeconds, gainOverNone: gain });
  }
}

// The cost of normalising one tile, as serving pays it.
const costSamples = (await readManifest(join(work, 'data-1', 'manifest.csv'))).samples.slice(0, 200);
const { images: costImages } = await loadImages(costSamples, { size: [size, size], channels: 3, fit: 'cover' });
const costSet = packImages(costImages, new Int32Array(costImages.length));
const msPerTile: Record<string, number> = {};
for (const method of STAIN_METHODS) {
  const spec = stainReferenceOf(costSet, method, 1);
  const started = performance.now();
  normaliseSetStains(costSet, spec);
  msPerTile[method] = (performance.now() - started) / costSet.shape[0];
}

const fmt = (v: number | null) => (v === null || !Number.isFinite(v) ? '—' : v.toFixed(3));
out('');
out('| stain normalisation | seed | macro-F1 in-domain phones | macro-F1 shifted phones | accuracy shifted | Δ shifted macro-F1 vs none [95% CI] | train s |');
out('| --- | --- | --- | --- | --- | --- | --- |');
for (const method of METHODS) {
  for (const r of rows[method]) {
    const gain = r.gainOverNone ? `${r.gainOverNone[0] >= 0 ? '+' : ''}${r.gainOverNone[0].toFixed(3)} [${r.gainOverNone[1].toFixed(3)}, ${r.gainOverNone[2].toFixed(3)}]` : '';
    out(`| ${method} | ${r.seed} | ${fmt(r.inDomain)} | ${fmt(r.shifted)} | ${fmt(r.shiftedAccuracy)} | ${gain} | ${r.trainSeconds.toFixed(0)} |`);
  }
}
out(`\nnormalisation cost per ${size}-px tile: ${STAIN_METHODS.map((m) => `${m} ${msPerTile[m].toFixed(2)} ms`).join(', ')}`);
console.log(
  JSON.stringify({
    tiles,
    size,
    epochs,
    seeds,
    colour_cast: colourCast,
    ...Object.fromEntries(
      METHODS.map((method) => [
        method,
        {
          macro_f1_in_domain: round(median(rows[method].map((r) => r.inDomain)), 3),
          macro_f1_shifted: round(median(rows[method].map((r) => r.shifted)), 3),
          per_seed_shifted: rows[method].map((r) => round(r.shifted, 3)),
          ...(method === 'none' ? {} : { ms_per_tile: round(msPerTile[method], 3) }),
        },
      ]),
    ),
  }),
);
