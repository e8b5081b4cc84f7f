// npx tsx bench/real-vs-synth.ts [--json] [--fields N] [--tiles N] [--seed N] [--difficulty NAME|JSON]
//   [--real DIR[,DIR...]] [--limit N] [--no-estimate] [--real-cache FILE]
// How real Gram-stain photos differ from the synthetic generator's fields and tiles, measured the
// same way on both at the model's scale (6 px/µm): background colour (RGB, Lab), stained objects'
// contrast, colour and edge steepness (blur), width and length of isolated objects, share of
// stained pixels, large stained objects (host cells), and whether an eyepiece circle is in view.
// Real photos are resampled with their hand-measured scale (REAL_COLLECTIONS, see
// src/fields/README.md "Real photos"); the photo-scale estimator (estimatePxPerUm) is run on them
// too and compared with it. Ends with one JSON line; --json sends the table to stderr so stdout
// holds only that line.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { assessQuality, estimateScale } from '../src/fields/index.ts';
import { rgbToLab } from '../src/preprocess/index.ts';
import { decodePhoto } from '../src/fields/photo.ts';
import { resampleRegion } from '../src/fields/resample.ts';
import { labelComponents } from '../src/fields/mask.ts';
import { CLASS_IDS, generateField, generateTile, resolveDifficulty, type DifficultyOption } from '../src/synth/index.ts';
import { SHARED_DATASETS } from '../test/shared-data.ts';
import { median } from './stats.ts';

/** The model's scale: every image is measured after resampling to it. */
const MODEL_PX_PER_UM = 6;

/**
 * Development photos and their scale (px/µm), measured by hand (src/fields/README.md): rods picked
 * by eye in 3× crops, lengths and widths at half their peak stain, against E. coli and P. aeruginosa
 * sizes and the field-number bound of a 100× objective.
 */
export const REAL_COLLECTIONS = [
  { name: 'reference', dir: join(SHARED_DATASETS, 'gramstainr/reference'), pxPerUm: 21 },
  { name: 'dibas', dir: join(SHARED_DATASETS, 'gramstainr/dibas'), pxPerUm: 15 },
] as const;

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const option = (name: string): string | undefined => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const fieldCount = Number(option('--fields') ?? 18);
const tileCount = Number(option('--tiles') ?? 90);
const seed = Number(option('--seed') ?? 1);
const limit = Number(option('--limit') ?? Infinity);
const difficultyRaw = option('--difficulty') ?? 'default';
const difficulty: DifficultyOption = difficultyRaw.startsWith('{') ? JSON.parse(difficultyRaw) : (difficultyRaw as DifficultyOption);
resolveDifficulty(difficulty);
const withEstimate = !argv.includes('--no-estimate');
const log = (line: string): void => void (json ? process.stderr : process.stdout).write(line + '\n');

/** Stain signal floor (sum of the three channels' optical density against the background) for "stained". */
const STAINED_OD = 0.3;
/** Objects larger than this (µm²) are host cells, clumps or thick smear, not single organisms. */
const LARGE_OBJECT_UM2 = 30;

export interface ImageStats {
  /** Clear-glass colour, 0..255 RGB and CIE Lab. */
  backgroundRgb: [number, number, number];
  backgroundLab: [number, number, number];
  /** Median over the strongly stained objects (see imageStats) of the peak stain (summed optical density against the background). */
  contrastOd: number;
  /** Median over objects of 1 - darkest luminance / background luminance. */
  contrastLuminance: number;
  /** Mean colour of object cores (Lab), and its distance to the background (ΔE 1976). */
  objectLab: [number, number, number];
  objectDeltaE: number;
  /** Median over objects of the steepest stain gradient (per px at 6 px/µm) over the object's peak: ~0.5 for a sharp step, less with blur. */
  edgeSteepness: number;
  /** Isolated objects: median width and length at half their peak, px at 6 px/µm. */
  objectWidthPx: number | null;
  objectLengthPx: number | null;
  /** Share of the field's pixels with stain >= STAINED_OD. */
  stainedFraction: number;
  /** Share of the stained area in objects larger than LARGE_OBJECT_UM2 (host cells, clumps). */
  largeObjectShare: number;
  /** Stained objects per 100 µm². */
  objectsPer100Um2: number;
  /** Robust sd of the stain signal over the clear background (smear texture, noise). */
  backgroundTexture: number;
  /** An eyepiece circle is in view (the field of view is a disc, not the whole frame). */
  eyepiece: boolean;
}

function lab255(rgb: readonly number[]): [number, number, number] {
  return rgbToLab(rgb[0] / 255, rgb[1] / 255, rgb[2] / 255).map((v) => Math.round(v * 10) / 10) as [number, number, number];
}

/**
 * Statistics of one image already at the model's scale (Float32 RGB 0..1), over the pixels inside
 * the disc (cx, cy, r in the same pixels).
 */
export function imageStats(image: Float32Array, width: number, height: number, disc: { cx: number; cy: number; r: number }, eyepiece: boolean): ImageStats {
  const n = width * height;
  const inside = new Uint8Array(n);
  const r2 = (disc.r * 0.95) ** 2;
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if ((x + 0.5 - disc.cx) ** 2 + (y + 0.5 - disc.cy) ** 2 <= r2) inside[y * width + x] = 1;
  const luminance = new Float32Array(n);
  for (let p = 0; p < n; p++) luminance[p] = 0.299 * image[p * 3] + 0.587 * image[p * 3 + 1] + 0.114 * image[p * 3 + 2];
  const insideLum: number[] = [];
  for (let p = 0; p < n; p++) if (inside[p]) insideLum.push(luminance[p]);
  insideLum.sort((a, b) => a - b);
  const cut = insideLum[Math.floor(insideLum.length * 0.75)];
  // Background: per-channel median of the brightest quarter inside the field.
  const channels: number[][] = [[], [], []];
  for (let p = 0; p < n; p++) if (inside[p] && luminance[p] >= cut) for (let c = 0; c < 3; c++) channels[c].push(image[p * 3 + c]);
  const background = channels.map((values) => Math.max(1e-3, median(values))) as [number, number, number];
  const backgroundLuminance = 0.299 * background[0] + 0.587 * background[1] + 0.114 * background[2];
  // The stain signal is taken against the local background (per model tile, interpolated), as a
  // tile shows it: slow changes of the light across the field are not stain.
  const local = localBackground(image, luminance, inside, width, height, MODEL_TILE);
  const signal = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    let od = 0;
    for (let c = 0; c < 3; c++) od += Math.log(local[p * 3 + c] / Math.max(1 / 255, image[p * 3 + c]));
    signal[p] = inside[p] ? od : 0;
  }
  const mask = new Uint8Array(n);
  let stained = 0;
  let insideCount = 0;
  for (let p = 0; p < n; p++) {
    if (!inside[p]) continue;
    insideCount++;
    if (signal[p] >= STAINED_OD) {
      mask[p] = 1;
      stained++;
    }
  }
  const { labels, count, areas } = labelComponents(mask, width, height, 8);
  const peak = new Float32Array(count + 1);
  const darkest = new Float32Array(count + 1).fill(Infinity);
  const steepest = new Float32Array(count + 1);
  for (let p = 0; p < n; p++) {
    const c = labels[p];
    if (!c) continue;
    if (signal[p] > peak[c]) peak[c] = signal[p];
    if (luminance[p] < darkest[c]) darkest[c] = luminance[p];
    const x = p % width;
    const y = (p - x) / width;
    if (x > 0 && y > 0 && x < width - 1 && y < height - 1) {
      const g = Math.hypot(signal[p + 1] - signal[p - 1], signal[p + width] - signal[p - width]) / 2;
      if (g > steepest[c]) steepest[c] = g;
    }
  }
  const largeArea = LARGE_OBJECT_UM2 * MODEL_PX_PER_UM ** 2;
  let largeStained = 0;
  const all: number[] = [];
  for (let c = 1; c <= count; c++) {
    if (areas[c] >= largeArea) largeStained += areas[c];
    if (areas[c] >= 3) all.push(c);
  }
  // The strongly stained objects (organisms, nuclei), not the faint texture of the smear: peak at
  // least half the 90th percentile of all objects' peaks.
  const strongest = all.length ? quantileOf(all.map((c) => peak[c]), 0.9) : 0;
  const objects = all.filter((c) => peak[c] >= strongest / 2);
  const strong = new Uint8Array(count + 1);
  for (const c of objects) strong[c] = 1;
  // Texture of the clear background: robust sd (p50 - p16) of the stain signal outside objects.
  const clear: number[] = [];
  for (let p = 0; p < n; p += 3) if (inside[p] && !labels[p]) clear.push(signal[p]);
  const backgroundTexture = clear.length ? quantileOf(clear, 0.5) - quantileOf(clear, 0.16) : 0;
  // Object cores (>= half their own peak): colour, and moments of the isolated small ones.
  const sum = [0, 0, 0];
  let cores = 0;
  const moments = new Float64Array((count + 1) * 6);
  for (let p = 0; p < n; p++) {
    const c = labels[p];
    if (!c || !strong[c] || signal[p] < peak[c] / 2) continue;
    for (let k = 0; k < 3; k++) sum[k] += image[p * 3 + k];
    cores++;
    const x = p % width;
    const y = (p - x) / width;
    const m = c * 6;
    moments[m]++;
    moments[m + 1] += x;
    moments[m + 2] += y;
    moments[m + 3] += x * x;
    moments[m + 4] += y * y;
    moments[m + 5] += x * y;
  }
  const widths: number[] = [];
  const lengths: number[] = [];
  for (const c of objects) {
    const m = c * 6;
    const a = moments[m];
    if (a < 3 || areas[c] > 12 * MODEL_PX_PER_UM ** 2) continue;
    const mx = moments[m + 1] / a;
    const my = moments[m + 2] / a;
    const sxx = moments[m + 3] / a - mx * mx;
    const syy = moments[m + 4] / a - my * my;
    const sxy = moments[m + 5] / a - mx * my;
    const half = (sxx + syy) / 2;
    const major = half + Math.sqrt(Math.max(0, half * half - (sxx * syy - sxy * sxy)));
    const length = Math.max(1, Math.sqrt(12 * major));
    lengths.push(length);
    widths.push(a / length);
  }
  const objectRgb = cores ? sum.map((v) => (v / cores) * 255) : background.map((v) => v * 255);
  const objectLab = lab255(objectRgb);
  const backgroundLab = lab255(background.map((v) => v * 255));
  return {
    backgroundRgb: background.map((v) => Math.round(v * 255)) as [number, number, number],
    backgroundLab,
    contrastOd: objects.length ? median(objects.map((c) => peak[c])) : 0,
    contrastLuminance: objects.length ? median(objects.map((c) => 1 - darkest[c] / backgroundLuminance)) : 0,
    objectLab,
    objectDeltaE: Math.hypot(objectLab[0] - backgroundLab[0], objectLab[1] - backgroundLab[1], objectLab[2] - backgroundLab[2]),
    edgeSteepness: objects.length ? median(objects.map((c) => steepest[c] / peak[c])) : 0,
    objectWidthPx: widths.length ? median(widths) : null,
    objectLengthPx: lengths.length ? median(lengths) : null,
    stainedFraction: insideCount ? stained / insideCount : 0,
    largeObjectShare: stained ? largeStained / stained : 0,
    objectsPer100Um2: insideCount ? (objects.length / (insideCount / MODEL_PX_PER_UM ** 2)) * 100 : 0,
    backgroundTexture,
    eyepiece,
  };
}

/** Side of the model's tile at MODEL_PX_PER_UM. */
const MODEL_TILE = 64;

/**
 * Per pixel, the background colour around it: for blocks of `block` px, the per-channel median of
 * the brightest quarter of their pixels inside the field, interpolated bilinearly between block
 * centres (blocks with few pixels inside take the nearest block's).
 */
function localBackground(image: Float32Array, luminance: Float32Array, inside: Uint8Array, width: number, height: number, block: number): Float32Array {
  const bx = Math.max(1, Math.ceil(width / block));
  const by = Math.max(1, Math.ceil(height / block));
  const colours: Array<[number, number, number] | null> = [];
  for (let j = 0; j < by; j++) {
    for (let i = 0; i < bx; i++) {
      const pixels: number[] = [];
      for (let y = j * block; y < Math.min(height, (j + 1) * block); y++) for (let x = i * block; x < Math.min(width, (i + 1) * block); x++) if (inside[y * width + x]) pixels.push(y * width + x);
      if (pixels.length < block * 4) {
        colours.push(null);
        continue;
      }
      const cut = quantileOf(pixels.map((p) => luminance[p]), 0.75);
      const bright = pixels.filter((p) => luminance[p] >= cut);
      colours.push([0, 1, 2].map((c) => Math.max(1e-3, median(bright.map((p) => image[p * 3 + c])))) as [number, number, number]);
    }
  }
  // Fill blocks without enough pixels from the nearest filled block.
  const filled = colours.map((colour, k) => {
    if (colour) return colour;
    let best: [number, number, number] = [1, 1, 1];
    let bestDistance = Infinity;
    colours.forEach((other, m) => {
      const d = Math.hypot((m % bx) - (k % bx), Math.floor(m / bx) - Math.floor(k / bx));
      if (other && d < bestDistance) [best, bestDistance] = [other, d];
    });
    return best;
  });
  const out = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const fy = Math.min(by - 1, Math.max(0, (y + 0.5) / block - 0.5));
    const j0 = Math.floor(fy);
    const j1 = Math.min(by - 1, j0 + 1);
    const ty = fy - j0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(bx - 1, Math.max(0, (x + 0.5) / block - 0.5));
      const i0 = Math.floor(fx);
      const i1 = Math.min(bx - 1, i0 + 1);
      const tx = fx - i0;
      for (let c = 0; c < 3; c++) {
        const top = filled[j0 * bx + i0][c] * (1 - tx) + filled[j0 * bx + i1][c] * tx;
        const bottom = filled[j1 * bx + i0][c] * (1 - tx) + filled[j1 * bx + i1][c] * tx;
        out[(y * width + x) * 3 + c] = top * (1 - ty) + bottom * ty;
      }
    }
  }
  return out;
}

interface Measured {
  group: string;
  name: string;
  stats: ImageStats;
  /** Real photos: the hand-measured scale and the estimator's reading. */
  truthPxPerUm?: number;
  estimate?: { pxPerUm: number | null; basis: string; objectCount: number; warnings: string[] };
}

/** A photo (8-bit RGB at `pxPerUm`) resampled to the model's scale and measured inside its field of view. */
function measurePhoto(rgb: Uint8Array, width: number, height: number, pxPerUm: number): { stats: ImageStats; quality: ReturnType<typeof assessQuality> } {
  const quality = assessQuality(rgb, width, height);
  const factor = MODEL_PX_PER_UM / pxPerUm;
  const outWidth = Math.max(8, Math.round(width * factor));
  const outHeight = Math.max(8, Math.round(height * factor));
  const image = resampleRegion(rgb, width, height, { left: 0, top: 0, width, height }, outWidth, outHeight);
  const fov = quality.fov ?? { cx: width / 2, cy: height / 2, r: Math.hypot(width, height) / 2 };
  const eyepiece = quality.measures.fovFraction < 0.97;
  return { stats: imageStats(image, outWidth, outHeight, { cx: fov.cx * factor, cy: fov.cy * factor, r: fov.r * factor }, eyepiece), quality };
}

function listPhotos(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...listPhotos(path));
    else if (/\.(jpe?g|png|tiff?)$/i.test(entry)) out.push(path);
  }
  return out;
}

/** Every `step`-th photo of each species folder, so a --limit run still covers every species. */
function spread(paths: string[], max: number): string[] {
  if (paths.length <= max) return paths;
  const step = paths.length / max;
  return Array.from({ length: max }, (_, i) => paths[Math.floor(i * step)]);
}

const measured: Measured[] = [];
const started = performance.now();

const realDirs = option('--real');
const collections = realDirs
  ? realDirs.split(',').map((dir) => ({ name: basename(dir), dir, pxPerUm: Number(option('--real-px-per-um') ?? 20) }))
  : REAL_COLLECTIONS.map((c) => ({ ...c }));
// The real photos' statistics take most of the time and do not depend on the generator: --real-cache FILE keeps them.
const realCache = option('--real-cache');
const cached: Measured[] | null = realCache && existsSync(realCache) ? JSON.parse(readFileSync(realCache, 'utf8')) : null;
if (cached) {
  measured.push(...cached);
  log(`(real photos' statistics from ${realCache})`);
}
for (const collection of cached ? [] : collections) {
  let paths: string[];
  try {
    paths = spread(listPhotos(collection.dir), limit);
  } catch {
    log(`(skipping ${collection.name}: ${collection.dir} not found)`);
    continue;
  }
  for (const path of paths) {
    const { rgb, width, height } = await decodePhoto(readFileSync(path));
    const { stats, quality } = measurePhoto(rgb, width, height, collection.pxPerUm);
    const entry: Measured = { group: collection.name, name: basename(path), stats, truthPxPerUm: collection.pxPerUm };
    if (withEstimate) {
      const estimate = estimateScale(quality.measures, quality.fov, width, height);
      entry.estimate = { pxPerUm: estimate.pxPerUm, basis: estimate.basis, objectCount: quality.measures.objectCount, warnings: estimate.warnings };
    }
    measured.push(entry);
  }
}

if (realCache && !cached) writeFileSync(realCache, JSON.stringify(measured));

// Synthetic fields (the demo and field-tile generator at 9 px/µm) and the demo's directly rendered tiles.
for (let i = 0; i < fieldCount; i++) {
  const label = CLASS_IDS[i % CLASS_IDS.length];
  const field = generateField({ label, seed: seed * 100_003 + i, difficulty });
  const { stats } = measurePhoto(field.rgb, field.width, field.height, field.pxPerUm);
  measured.push({ group: 'synthetic fields', name: `${label}-${i}`, stats });
}
for (let i = 0; i < tileCount; i++) {
  const label = CLASS_IDS[i % CLASS_IDS.length];
  const tile = generateTile({ label, seed: seed * 200_003 + i, difficulty, size: 96 });
  const size = Math.round((tile.width * MODEL_PX_PER_UM) / tile.pxPerUm);
  const image = resampleRegion(tile.rgb, tile.width, tile.height, { left: 0, top: 0, width: tile.width, height: tile.height }, size, size);
  measured.push({ group: 'synthetic tiles', name: `${label}-${i}`, stats: imageStats(image, size, size, { cx: size / 2, cy: size / 2, r: size * 0.75 }, false) });
}

// ---- Summary: per group, median [p10, p90] of each statistic; coverage of the real values by the synthetic fields' p5..p95.
type Getter = (s: ImageStats) => number | null;
const STATS: Array<[string, Getter, number]> = [
  ['background R', (s) => s.backgroundRgb[0], 0],
  ['background G', (s) => s.backgroundRgb[1], 0],
  ['background B', (s) => s.backgroundRgb[2], 0],
  ['background L*', (s) => s.backgroundLab[0], 0],
  ['background a*', (s) => s.backgroundLab[1], 0],
  ['background b*', (s) => s.backgroundLab[2], 0],
  ['object L*', (s) => s.objectLab[0], 0],
  ['object a*', (s) => s.objectLab[1], 0],
  ['object b*', (s) => s.objectLab[2], 0],
  ['object ΔE to background', (s) => s.objectDeltaE, 0],
  ['contrast (peak OD sum)', (s) => s.contrastOd, 2],
  ['contrast (luminance dip)', (s) => s.contrastLuminance, 2],
  ['edge steepness', (s) => s.edgeSteepness, 2],
  ['object width px @6', (s) => s.objectWidthPx, 1],
  ['object length px @6', (s) => s.objectLengthPx, 1],
  ['stained fraction', (s) => s.stainedFraction, 3],
  ['large-object share', (s) => s.largeObjectShare, 2],
  ['strong objects / 100 µm²', (s) => s.objectsPer100Um2, 1],
  ['background texture (OD sd)', (s) => s.backgroundTexture, 3],
  ['eyepiece circle', (s) => (s.eyepiece ? 1 : 0), 2],
];

function quantileOf(values: number[], q: number): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  return sorted[lo] + (sorted[Math.min(sorted.length - 1, lo + 1)] - sorted[lo]) * (at - lo);
}

const groups = [...new Set(measured.map((m) => m.group))];
const valuesOf = (group: string, get: Getter): number[] => measured.filter((m) => m.group === group).map((m) => get(m.stats)).filter((v): v is number => v !== null);
const fmt = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : '–');
const cell = (values: number[], digits: number): string =>
  values.length ? `${fmt(quantileOf(values, 0.5), digits)} [${fmt(quantileOf(values, 0.1), digits)}, ${fmt(quantileOf(values, 0.9), digits)}]` : '–';
const realGroups = groups.filter((g) => !g.startsWith('synthetic'));

log(`\nReal photos vs synthetic (model scale ${MODEL_PX_PER_UM} px/µm; difficulty ${difficultyRaw}; seed ${seed}): median [p10, p90]`);
log(`counts: ${groups.map((g) => `${g} ${measured.filter((m) => m.group === g).length}`).join(', ')}`);
const header = ['statistic', ...groups, 'real covered by synth fields p5–p95'];
const rows: string[][] = [];
const coverage: Record<string, number> = {};
for (const [name, get, digits] of STATS) {
  const synth = valuesOf('synthetic fields', get);
  const lo = quantileOf(synth, 0.05);
  const hi = quantileOf(synth, 0.95);
  const real = realGroups.flatMap((g) => valuesOf(g, get));
  const covered = real.length && synth.length ? real.filter((v) => v >= lo - 1e-9 && v <= hi + 1e-9).length / real.length : NaN;
  coverage[name] = covered;
  rows.push([name, ...groups.map((g) => cell(valuesOf(g, get), digits)), Number.isFinite(covered) ? `${Math.round(covered * 100)}%` : '–']);
}
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
log(header.map((h, i) => h.padEnd(widths[i])).join(' | '));
log(widths.map((w) => '-'.repeat(w)).join('-|-'));
for (const row of rows) log(row.map((c, i) => c.padEnd(widths[i])).join(' | '));

// ---- Scale estimate vs hand-measured truth.
const estimates: Record<string, unknown> = {};
if (withEstimate) {
  log(`\nScale estimate (estimateScale) vs hand-measured scale`);
  for (const group of realGroups) {
    const entries = measured.filter((m) => m.group === group && m.estimate);
    const truth = entries[0]?.truthPxPerUm ?? NaN;
    const byObjects = entries.filter((m) => m.estimate!.basis === 'objects').map((m) => m.estimate!.pxPerUm!);
    const any = entries.filter((m) => m.estimate!.pxPerUm !== null).map((m) => m.estimate!.pxPerUm!);
    const within = (values: number[], share: number): number => values.filter((v) => Math.abs(v / truth - 1) <= share).length;
    const summary = {
      photos: entries.length,
      truth,
      fromObjects: byObjects.length,
      fromObjectsMedian: quantileOf(byObjects, 0.5),
      fromObjectsP10: quantileOf(byObjects, 0.1),
      fromObjectsP90: quantileOf(byObjects, 0.9),
      anyBasisWithin20: within(any, 0.2),
      anyBasisWithin30: within(any, 0.3),
      noEstimate: entries.length - any.length,
      medianObjectCount: quantileOf(entries.map((m) => m.estimate!.objectCount), 0.5),
    };
    estimates[group] = summary;
    log(
      `${group.padEnd(10)} truth ${truth}: from objects ${summary.fromObjects}/${summary.photos} photos, median ${fmt(summary.fromObjectsMedian, 1)} [p10 ${fmt(summary.fromObjectsP10, 1)}, p90 ${fmt(summary.fromObjectsP90, 1)}]; ` +
        `any basis within ±20%: ${summary.anyBasisWithin20}, ±30%: ${summary.anyBasisWithin30}; no estimate: ${summary.noEstimate}; median objects ${summary.medianObjectCount}`,
    );
  }
}
log(`(${((performance.now() - started) / 1000).toFixed(0)} s)`);

const result = {
  modelPxPerUm: MODEL_PX_PER_UM,
  difficulty: difficultyRaw,
  seed,
  groups: Object.fromEntries(
    groups.map((g) => [g, Object.fromEntries(STATS.map(([name, get]) => [name, { p10: quantileOf(valuesOf(g, get), 0.1), median: quantileOf(valuesOf(g, get), 0.5), p90: quantileOf(valuesOf(g, get), 0.9) }]))]),
  ),
  coverage,
  estimates,
};
process.stdout.write(JSON.stringify(result) + '\n');
