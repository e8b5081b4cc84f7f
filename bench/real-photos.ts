// npm run bench:real-photos [-- --json] [--model DIR] [--sets clinical,reference,dibas] [--px-per-um N] [--data DIR]
//   [--details FILE]
// Real Gram-stain photographs (GramStainR, ../shared/datasets/gramstainr; every photo shows
// Gram-negative rods) through a model bundle's whole-field path, as `gramlens predict --field` and
// the web app read them: per set, the share answered GNR (or Gram-negative with GNR among the
// morphotypes), "several morphotypes", wrong and confident (wrong, not refused, not "uncertain:
// refer"), uncertain, refused. clinical/ is the flagship's held-out test: tune nothing on it;
// reference/ and dibas/ are for development. Without --px-per-um the photos' scale is estimated
// from their stained objects (the path of a phone without calibration). Skips with exit code 0
// when the photos or the default model are absent. --details FILE writes one JSON line per photo
// (its answer or refusal, tile counts, evidence share and warnings). --json sends the table to
// stderr and ends with one line of JSON on stdout.
import { existsSync } from 'node:fs';
import { appendFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadBundle } from '../src/inference/index.ts';
import { judgePhoto, summarisePhotos, type PhotoSetSummary, type PhotoVerdict } from '../src/inference/index.ts';
import { benchArgs, median } from './stats.ts';

const argv = process.argv.slice(2);
const { json } = benchArgs(argv);
const option = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const out = (line: string): boolean => (json ? process.stderr : process.stdout).write(`${line}\n`);
const log = (line: string): boolean => process.stderr.write(`${line}\n`);

const DEFAULT_MODEL = 'gramlens-demo/run/model';
const ALL_SETS = ['clinical', 'reference', 'dibas'];
/** All three species of the collection are Gram-negative rods. */
const TRUTH = 'gnr';
/** The issue's bar, on clinical/ only. */
const BAR = { right: 0.8, multiple: 0.05, wrongAndConfident: 0.05 };

const dataRoot = option('--data') ?? join(import.meta.dirname, '../../shared/datasets/gramstainr');
const modelDir = option('--model') ?? DEFAULT_MODEL;
const sets = (option('--sets') ?? ALL_SETS.join(',')).split(',').map((s) => s.trim());
const unknownSet = sets.find((s) => !ALL_SETS.includes(s));
if (unknownSet) throw new Error(`--sets: unknown set "${unknownSet}" (sets: ${ALL_SETS.join(', ')})`);
const pxPerUm = option('--px-per-um') === undefined ? undefined : Number(option('--px-per-um'));
if (pxPerUm !== undefined && !(pxPerUm > 0)) throw new Error(`--px-per-um must be a positive number; got ${option('--px-per-um')}`);

if (!existsSync(dataRoot)) skip(`no real photos at ${dataRoot}: skipped`);
if (!existsSync(join(modelDir, 'metadata.json'))) {
  if (option('--model') !== undefined) throw new Error(`${modelDir} is not a model bundle (no metadata.json)`);
  skip(`no model at ${DEFAULT_MODEL}: run \`npx gramlens demo\` first, or give --model DIR; skipped`);
}

async function photosOf(set: string): Promise<string[]> {
  const dir = join(dataRoot, set);
  if (!existsSync(dir)) return [];
  const species = (await readdir(dir, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  const files = await Promise.all(species.map(async (name) => (await readdir(join(dir, name))).filter((file) => /\.(jpe?g|png|tiff?)$/i.test(file)).sort().map((file) => join(dir, name, file))));
  return files.flat();
}

const details = option('--details');
if (details) await writeFile(details, '');
const bundle = await loadBundle(modelDir);
out(`Real photos through the whole-field path: model ${modelDir} (${bundle.modelVersion}), photo scale ${pxPerUm === undefined ? 'estimated from the stained objects' : `${pxPerUm} px/µm`}`);
const results: Record<string, PhotoSetSummary & { seconds_per_photo: number }> = {};
for (const set of sets) {
  const photos = await photosOf(set);
  if (photos.length === 0) {
    log(`${set}: no photos, left out`);
    continue;
  }
  const verdicts: PhotoVerdict[] = [];
  const seconds: number[] = [];
  for (const [i, path] of photos.entries()) {
    const started = performance.now();
    const prediction = await bundle.predictField(await readFile(path), { pxPerUm });
    seconds.push((performance.now() - started) / 1000);
    verdicts.push(judgePhoto(prediction, TRUTH));
    if (details) {
      const { decision, scale, warnings, quality } = prediction;
      const refusal = prediction.refusal && { code: prediction.refusal.code, reason: prediction.refusal.reason };
      const evidenceShare = decision?.evidenceShare ?? null;
      const line = { set, path, verdict: verdicts.at(-1), refusal, tileCounts: decision?.tileCounts ?? null, morphotypes: decision?.morphotypes ?? null, evidenceShare, uncertain: prediction.uncertain, quality: quality.reasons, scale, warnings };
      await appendFile(details, `${JSON.stringify(line)}\n`);
    }
    if ((i + 1) % 10 === 0 || i + 1 === photos.length) log(`  ${set}: ${i + 1}/${photos.length}`);
  }
  results[set] = { ...summarisePhotos(verdicts), seconds_per_photo: median(seconds) };
}
await bundle.dispose();

const pct = (v: number): string => (Number.isNaN(v) ? '—' : `${(v * 100).toFixed(1)}%`).padStart(8);
out('');
const head = ['GNR', 'GNR conf', 'several', 'wrong+c', 'uncert', 'refused', 'ref/unc'].map((h) => h.padStart(8)).join(' ');
out(`${'set'.padEnd(10)} ${'photos'.padStart(6)} ${head}  answers`);
for (const [set, r] of Object.entries(results)) {
  const answers = Object.entries(r.answers).sort((a, b) => b[1] - a[1]).map(([answer, n]) => `${answer} ${n}`).join(', ');
  const shares = [r.right, r.rightAndConfident, r.multiple, r.wrongAndConfident, r.uncertain, r.refused, r.refusedOrUncertain].map(pct).join(' ');
  out(`${set.padEnd(10)} ${String(r.photos).padStart(6)} ${shares}  ${answers}`);
}
out('GNR: answered GNR, or Gram-negative with GNR among the morphotypes (GNR conf: and not uncertain); several: "several morphotypes";');
out('wrong+c: wrong, not refused and not "uncertain: refer"; uncert: answered "uncertain: refer", right or wrong; refused: no answer (a refusal,');
out('the quality check\'s included); ref/unc: the two together. GNR conf + wrong+c + uncert + refused = every photo.');
const clinical = results.clinical;
if (clinical) {
  const checks = [
    [`GNR ≥ ${BAR.right * 100}%`, clinical.right >= BAR.right],
    [`several ≤ ${BAR.multiple * 100}%`, clinical.multiple <= BAR.multiple],
    [`wrong and confident ≤ ${BAR.wrongAndConfident * 100}%`, clinical.wrongAndConfident <= BAR.wrongAndConfident],
  ] as const;
  out(`clinical bar: ${checks.map(([what, met]) => `${what} ${met ? 'met' : 'MISSED'}`).join(', ')}`);
}

const round = (v: number): number | null => (Number.isFinite(v) ? Number(v.toFixed(4)) : null);
console.log(
  JSON.stringify({
    model: modelDir,
    px_per_um: pxPerUm ?? null,
    sets: Object.fromEntries(
      Object.entries(results).map(([set, r]) => [
        set,
        {
          photos: r.photos,
          gnr: round(r.right),
          gnr_confident: round(r.rightAndConfident),
          polymicrobial: round(r.multiple),
          wrong_and_confident: round(r.wrongAndConfident),
          refused_or_uncertain: round(r.refusedOrUncertain),
          uncertain: round(r.uncertain),
          refused: round(r.refused),
          answers: r.answers,
          seconds_per_photo: round(r.seconds_per_photo),
        },
      ]),
    ),
  }),
);

function skip(message: string): never {
  log(message);
  if (json) console.log(JSON.stringify({ skipped: message }));
  process.exit(0);
}
