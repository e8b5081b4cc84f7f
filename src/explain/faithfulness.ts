/**
 * Does the map point at what matters? Localisation against object masks (pointing game, energy in the
 * mask) and the causal deletion / insertion curves of Petsiuk et al. (RISE, 2018).
 */
import { createRng } from '../util/index.ts';
import { upsampleBilinear } from './heatmap.ts';
import { checkHeatmap, type Heatmap } from './types.ts';

/**
 * Which pixels belong to the object. A boolean mask marks them with true; a label mask (0 = background)
 * marks them with `label` when given, else with any non-zero value.
 */
export interface ObjectMask {
  data: Uint8Array | readonly boolean[];
  height: number;
  width: number;
}

export interface MaskOptions {
  /** For a label mask: the value of the object that should be pointed at (e.g. the predicted class's label). */
  label?: number;
}

function maskMembership(mask: ObjectMask, options: MaskOptions): (index: number) => boolean {
  const { data, height, width } = mask;
  if (data.length !== height * width) throw new Error(`mask has ${data.length} values, expected ${height} × ${width} = ${height * width}`);
  if (data instanceof Uint8Array) {
    const { label } = options;
    return label === undefined ? (i) => data[i] !== 0 : (i) => data[i] === label;
  }
  if (options.label !== undefined) throw new Error('a label applies to a Uint8Array label mask, not to a boolean mask');
  return (i) => data[i] === true;
}

/** The heatmap at the given size, resampled only when it differs. */
function atSize(heatmap: Heatmap, height: number, width: number): Heatmap {
  checkHeatmap(heatmap);
  return heatmap.height === height && heatmap.width === width ? heatmap : upsampleBilinear(heatmap, height, width);
}

export interface PointingResult {
  hit: boolean;
  /** The map's maximum (the first in row-major order on ties), in mask pixels. */
  peak: { x: number; y: number };
}

/**
 * Pointing game (Zhang et al. 2016): a hit when the map's maximum lies on the object, or within
 * `tolerance` pixels of it (they use 15 px at 224 px). The map is resampled to the mask's size.
 */
export function pointingGame(heatmap: Heatmap, mask: ObjectMask, options: MaskOptions & { tolerance?: number } = {}): PointingResult {
  const inMask = maskMembership(mask, options);
  const tolerance = options.tolerance ?? 0;
  if (!(tolerance >= 0)) throw new Error(`tolerance must be a non-negative number of pixels, got ${tolerance}`);
  const { map, width, height } = atSize(heatmap, mask.height, mask.width);
  let best = 0;
  for (let i = 1; i < map.length; i++) if (map[i] > map[best]) best = i;
  const peak = { x: best % width, y: Math.floor(best / width) };
  const reach = Math.floor(tolerance);
  for (let y = Math.max(0, peak.y - reach); y <= Math.min(height - 1, peak.y + reach); y++) {
    for (let x = Math.max(0, peak.x - reach); x <= Math.min(width - 1, peak.x + reach); x++) {
      if ((x - peak.x) ** 2 + (y - peak.y) ** 2 <= tolerance ** 2 && inMask(y * width + x)) return { hit: true, peak };
    }
  }
  return { hit: false, peak };
}

/** Share of the map's positive mass that falls inside the object (0 for a map with no positive value). Resampled to the mask's size. */
export function energyInMask(heatmap: Heatmap, mask: ObjectMask, options: MaskOptions = {}): number {
  const inMask = maskMembership(mask, options);
  const { map } = atSize(heatmap, mask.height, mask.width);
  let inside = 0;
  let total = 0;
  map.forEach((v, i) => {
    if (v <= 0) return;
    total += v;
    if (inMask(i)) inside += v;
  });
  return total > 0 ? inside / total : 0;
}

/** A float image, row-major height × width × channels, normalised as the model expects. */
export interface FloatImage {
  data: Float32Array;
  height: number;
  width: number;
  channels: number;
}

/** Maps `count` images laid out NHWC in `batch` to class probabilities, row-major count × classes (e.g. `OnnxClassifier.run`). */
export type PredictFn = (batch: Float32Array, count: number) => Float32Array | Promise<Float32Array>;

function checkImage(image: FloatImage): void {
  const { height, width, channels, data } = image;
  if (![height, width, channels].every((v) => Number.isInteger(v) && v > 0) || data.length !== height * width * channels) {
    throw new Error(`image must hold height × width × channels values, got ${data.length} for ${height} × ${width} × ${channels}`);
  }
}

/** Every pixel replaced by the image's mean colour. */
export function meanColourImage(image: FloatImage): FloatImage {
  checkImage(image);
  const { data, channels } = image;
  const pixels = data.length / channels;
  const means = new Float64Array(channels);
  for (let i = 0; i < data.length; i++) means[i % channels] += data[i];
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = means[i % channels] / pixels;
  return { ...image, data: out };
}

function gaussianKernel(sigma: number): Float32Array {
  const radius = Math.ceil(3 * sigma);
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += kernel[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  return kernel.map((v) => v / sum);
}

/** Separable Gaussian blur of every channel, edges replicated. */
export function gaussianBlur(image: FloatImage, sigma: number): FloatImage {
  checkImage(image);
  if (!(sigma > 0)) throw new Error(`blur sigma must be positive, got ${sigma}`);
  const { data, height, width, channels } = image;
  const kernel = gaussianKernel(sigma);
  const radius = (kernel.length - 1) / 2;
  const pass = (source: Float32Array, alongRows: boolean): Float32Array => {
    const out = new Float32Array(source.length);
    const length = alongRows ? width : height;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const position = alongRows ? x : y;
        for (let c = 0; c < channels; c++) {
          let sum = 0;
          for (let t = -radius; t <= radius; t++) {
            const p = Math.min(length - 1, Math.max(0, position + t));
            sum += kernel[t + radius] * source[((alongRows ? y * width + p : p * width + x) * channels) + c];
          }
          out[(y * width + x) * channels + c] = sum;
        }
      }
    }
    return out;
  };
  return { ...image, data: pass(pass(data, true), false) };
}

/** Pixel indices, most salient first (ties by index), or in a seeded random order. */
export function pixelOrder(heatmap: Heatmap, order: 'saliency' | 'random', seed?: number): number[] {
  checkHeatmap(heatmap);
  const indices = Array.from({ length: heatmap.map.length }, (_, i) => i);
  if (order === 'saliency') return indices.sort((a, b) => heatmap.map[b] - heatmap.map[a] || a - b);
  if (order !== 'random') throw new Error(`unknown pixel order "${order as string}"; choose saliency or random`);
  if (seed === undefined) throw new Error('a random pixel order needs a seed');
  return createRng(seed).shuffle(indices);
}

/** Area under a curve by the trapezoid rule; xs increasing. */
export function trapezoidArea(xs: readonly number[], ys: readonly number[]): number {
  if (xs.length !== ys.length || xs.length < 2) throw new Error(`need at least two points with as many x as y, got ${xs.length} and ${ys.length}`);
  let area = 0;
  for (let i = 1; i < xs.length; i++) area += ((xs[i] - xs[i - 1]) * (ys[i] + ys[i - 1])) / 2;
  return area;
}

export interface CurveOptions {
  /** The curve has steps + 1 points, from 0 to all pixels changed. */
  steps: number;
  order: 'saliency' | 'random';
  /** Required for the random order. */
  seed?: number;
  /** Class whose probability is recorded; default: the class predicted for the unchanged image. */
  targetClass?: number;
  /** What a removed (deletion) or not yet inserted (insertion) pixel shows. Default: 'mean' for deletion, 'blur' for insertion, as in RISE. */
  baseline?: 'blur' | 'mean';
  /** Gaussian sigma of the blurred baseline in pixels; default min(height, width) / 45 (5 px at 224). */
  blurSigma?: number;
  /** Images per predict call; default 16. */
  batchSize?: number;
}

export interface PerturbationCurve {
  /** Share of pixels changed at each point, 0 to 1. */
  fractions: number[];
  /** Probability of the target class at each point. */
  scores: number[];
  /** Area under scores over fractions: low is good for deletion, high for insertion. */
  auc: number;
  targetClass: number;
}

async function probabilitiesOf(predict: PredictFn, batch: Float32Array, count: number): Promise<Float32Array[]> {
  const probabilities = await predict(batch, count);
  const classes = probabilities.length / count;
  if (!Number.isInteger(classes) || classes < 1) throw new Error(`predict returned ${probabilities.length} values for ${count} images`);
  return Array.from({ length: count }, (_, i) => probabilities.subarray(i * classes, (i + 1) * classes));
}

/**
 * Changes the pixels of `start` to those of `end` in `order`, `steps` equal shares at a time, and records
 * the target class probability after each share (deletion: start = image, end = baseline; insertion: the reverse).
 */
async function perturbationCurve(
  predict: PredictFn,
  image: FloatImage,
  heatmap: Heatmap,
  options: CurveOptions,
  mode: 'deletion' | 'insertion',
): Promise<PerturbationCurve> {
  checkImage(image);
  const { steps, batchSize = 16 } = options;
  if (!(Number.isInteger(steps) && steps >= 1)) throw new Error(`steps must be a positive integer, got ${steps}`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const { height, width, channels } = image;
  const order = pixelOrder(atSize(heatmap, height, width), options.order, options.seed);
  const baselineKind = options.baseline ?? (mode === 'deletion' ? 'mean' : 'blur');
  const baseline = baselineKind === 'mean' ? meanColourImage(image) : gaussianBlur(image, options.blurSigma ?? Math.min(height, width) / 45);
  const [start, end] = mode === 'deletion' ? [image.data, baseline.data] : [baseline.data, image.data];

  let targetClass = options.targetClass;
  if (targetClass === undefined) {
    const [probabilities] = await probabilitiesOf(predict, image.data, 1);
    targetClass = probabilities.indexOf(Math.max(...probabilities));
  }
  const pixels = height * width;
  const changedAt = Array.from({ length: steps + 1 }, (_, i) => Math.round((i * pixels) / steps));
  const current = start.slice();
  let changed = 0;
  const scores: number[] = [];
  for (let first = 0; first <= steps; first += batchSize) {
    const count = Math.min(batchSize, steps + 1 - first);
    const batch = new Float32Array(count * current.length);
    for (let j = 0; j < count; j++) {
      for (; changed < changedAt[first + j]; changed++) {
        const offset = order[changed] * channels;
        current.set(end.subarray(offset, offset + channels), offset);
      }
      batch.set(current, j * current.length);
    }
    const rows = await probabilitiesOf(predict, batch, count);
    if (targetClass < 0 || targetClass >= rows[0].length) {
      throw new Error(`class index ${targetClass} is out of range; valid classes: 0..${rows[0].length - 1}`);
    }
    for (const row of rows) scores.push(row[targetClass]);
  }
  const fractions = changedAt.map((n) => n / pixels);
  return { fractions, scores, auc: trapezoidArea(fractions, scores), targetClass };
}

/** Deletion curve: the most salient pixels are removed first (replaced by the baseline); a faithful map makes the probability fall fast (low AUC). */
export function deletionCurve(predict: PredictFn, image: FloatImage, heatmap: Heatmap, options: CurveOptions): Promise<PerturbationCurve> {
  return perturbationCurve(predict, image, heatmap, options, 'deletion');
}

/** Insertion curve: starting from the baseline, the most salient pixels are restored first; a faithful map makes the probability rise fast (high AUC). */
export function insertionCurve(predict: PredictFn, image: FloatImage, heatmap: Heatmap, options: CurveOptions): Promise<PerturbationCurve> {
  return perturbationCurve(predict, image, heatmap, options, 'insertion');
}
