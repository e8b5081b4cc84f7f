// npx tsx bench/upload-shrink.ts [--json] [--model DIR] [--sets reference,dibas] [--data DIR]
// Does the photo the web app uploads, shrunk in the page (uploadScale of src/preprocess: without a
// calibration the long side goes down to 2048 px; JPEG at 0.9), get the same whole-field answer as
// the full photo? Real 6-megapixel phone photos (GramStainR reference/ and dibas/ by default; never
// clinical/, the flagship's held-out test) through a bundle's field path, each read twice: full, and
// shrunk as the page does it (sharp's lanczos3 standing in for the browser's canvas), with its scale
// estimated from its stained objects both times. Reports the share of photos with the same answer,
// and the bytes sent; the photos whose answers differ are named. --json ends with one line of JSON.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadBundle } from '../src/inference/index.ts';
import { uploadScale } from '../src/preprocess/index.ts';
import { benchArgs, median } from './stats.ts';

const argv = process.argv.slice(2);
const { json } = benchArgs(argv);
const option = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const out = (line: string): boolean => (json ? process.stderr : process.stdout).write(`${line}\n`);

const dataRoot = option('--data') ?? join(import.meta.dirname, '../../shared/datasets/gramstainr');
const modelDir = option('--model') ?? 'gramlens-demo/run/model';
const sets = (option('--sets') ?? 'reference,dibas').split(',').map((s) => s.trim());
if (sets.includes('clinical')) throw new Error('--sets: clinical/ is the held-out test of the flagship; use reference and dibas');
if (!existsSync(dataRoot) || !existsSync(join(modelDir, 'metadata.json'))) {
  out(`no photos at ${dataRoot} or no model at ${modelDir}: skipped`);
  process.exit(0);
}

/** The page's JPEG quality (src/web/views/clinic/shrink-photo.ts). */
const PAGE_JPEG_QUALITY = 90;

async function photosOf(set: string): Promise<string[]> {
  const dir = join(dataRoot, set);
  if (!existsSync(dir)) return [];
  const species = (await readdir(dir, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
  const files = await Promise.all(species.map(async (name) => (await readdir(join(dir, name))).filter((file) => /\.(jpe?g|png)$/i.test(file)).sort().map((file) => join(dir, name, file))));
  return files.flat();
}

const bundle = await loadBundle(modelDir);
const rows: { set: string; same: boolean; sameFlag: boolean; fullBytes: number; sentBytes: number }[] = [];
for (const set of sets) {
  for (const path of await photosOf(set)) {
    const full = await readFile(path);
    const { width = 0, height = 0 } = await sharp(full).metadata();
    const factor = uploadScale({ width, height });
    const shrunk = factor < 1 ? await sharp(full).rotate().resize(Math.round(width * factor), Math.round(height * factor), { kernel: 'lanczos3' }).jpeg({ quality: PAGE_JPEG_QUALITY }).toBuffer() : full;
    // As the page does: the original when the shrunk JPEG is not smaller.
    const sent = shrunk.length < full.length ? shrunk : full;
    const [fromFull, fromSent] = [await bundle.predictField(full), await bundle.predictField(sent)];
    const answer = (p: typeof fromFull): string => p.decision?.label ?? 'refused';
    const same = answer(fromFull) === answer(fromSent);
    const sameFlag = fromFull.uncertain === fromSent.uncertain;
    if (!same || !sameFlag) process.stderr.write(`  ${path}: full ${answer(fromFull)}${fromFull.uncertain ? ' (uncertain)' : ''}, sent ${answer(fromSent)}${fromSent.uncertain ? ' (uncertain)' : ''}\n`);
    rows.push({ set, same, sameFlag, fullBytes: full.length, sentBytes: sent.length });
    if (rows.length % 10 === 0) process.stderr.write(`  ${rows.length} photos\n`);
  }
}
await bundle.dispose();

const summary = Object.fromEntries(
  sets.map((set) => {
    const of = rows.filter((row) => row.set === set);
    return [set, { photos: of.length, same_answer: of.filter((row) => row.same).length / of.length, same_uncertain_flag: of.filter((row) => row.sameFlag).length / of.length, median_full_mb: median(of.map((r) => r.fullBytes)) / 1e6, max_sent_mb: Math.max(...of.map((r) => r.sentBytes)) / 1e6 }];
  }),
);
for (const [set, s] of Object.entries(summary)) {
  out(`${set}: ${s.photos} photos, same answer full vs sent ${(s.same_answer * 100).toFixed(1)}% (same "uncertain" flag ${(s.same_uncertain_flag * 100).toFixed(1)}%), full ${s.median_full_mb.toFixed(2)} MB (median), sent ≤ ${s.max_sent_mb.toFixed(2)} MB`);
}
console.log(JSON.stringify({ model: modelDir, sets: summary }));
