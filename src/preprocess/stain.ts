import { channelScale, labToRgb, normalise, rgbToLab, symmetricEigen, type RgbPixels, type Vec3 } from './colour.ts';
import { quantile } from './quantile.ts';

/** Mean and standard deviation per CIE L*a*b* channel. */
export interface ReinhardStats {
  mean: Vec3;
  sd: Vec3;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

function pixelCount(rgb: RgbPixels): number {
  if (rgb.length % 3 !== 0) throw new Error(`RGB pixels must come in threes (got ${rgb.length} values)`);
  return rgb.length / 3;
}

/** Lab mean and sd of the pixels (those with mask[i] set, when a mask is given). */
export function estimateReinhardStats(rgb: RgbPixels, mask?: Uint8Array): ReinhardStats {
  const n = pixelCount(rgb);
  const k = channelScale(rgb);
  const sum = [0, 0, 0];
  const sumSq = [0, 0, 0];
  let count = 0;
  for (let p = 0; p < n; p++) {
    if (mask && !mask[p]) continue;
    const lab = rgbToLab(rgb[3 * p] * k, rgb[3 * p + 1] * k, rgb[3 * p + 2] * k);
    for (let c = 0; c < 3; c++) {
      sum[c] += lab[c];
      sumSq[c] += lab[c] * lab[c];
    }
    count++;
  }
  if (count === 0) throw new Error('estimateReinhardStats: no pixels selected');
  const mean = sum.map((s) => s / count) as Vec3;
  const sd = sumSq.map((s, c) => Math.sqrt(Math.max(0, s / count - mean[c] ** 2))) as Vec3;
  return { mean, sd };
}

/**
 * Reinhard colour transfer: each Lab channel is shifted and scaled from the source statistics to
 * the reference ones. Returns Float32 RGB in 0..1 (clamped to the displayable range).
 */
export function reinhardNormalise(rgb: RgbPixels, stats: ReinhardStats, reference: ReinhardStats): Float32Array {
  const n = pixelCount(rgb);
  const k = channelScale(rgb);
  const gain = stats.sd.map((sd, c) => (sd > 1e-9 ? reference.sd[c] / sd : 1));
  const out = new Float32Array(n * 3);
  for (let p = 0; p < n; p++) {
    const lab = rgbToLab(rgb[3 * p] * k, rgb[3 * p + 1] * k, rgb[3 * p + 2] * k);
    const mapped = lab.map((v, c) => (v - stats.mean[c]) * gain[c] + reference.mean[c]) as Vec3;
    const back = labToRgb(mapped[0], mapped[1], mapped[2]);
    for (let c = 0; c < 3; c++) out[3 * p + c] = clamp01(back[c]);
  }
  return out;
}

/**
 * The two stains of an image as Macenko estimates them: unit optical-density vectors (the one
 * absorbing more red first: crystal violet before safranin, as haematoxylin before eosin), the
 * 99th percentile of each stain's concentration, and the unstained light level per channel (0..1).
 */
export interface StainBasis {
  stains: [Vec3, Vec3];
  maxConcentrations: [number, number];
  background: Vec3;
}

export interface MacenkoOptions {
  /** Light through clear glass per channel (0..1); default the 99th percentile of each channel. */
  background?: Vec3;
  /** Pixels with an optical density (Euclidean norm) below this are unstained and ignored. Default 0.15. */
  minDensity?: number;
  /** Percentile (in %) of the angles taken as the extreme stain directions. Default 1. */
  alpha?: number;
}

/** Optical density -ln(I / I0) per channel, floored at a transmission of 1/255. */
function opticalDensity(rgb: RgbPixels, background: Vec3): Float32Array {
  const k = channelScale(rgb);
  const od = new Float32Array(rgb.length);
  for (let i = 0; i < rgb.length; i++) {
    const transmitted = Math.max(rgb[i] * k, 1 / 255) / background[i % 3];
    od[i] = Math.max(0, -Math.log(transmitted));
  }
  return od;
}

function channelQuantiles(rgb: RgbPixels, q: number): Vec3 {
  const k = channelScale(rgb);
  const n = pixelCount(rgb);
  return [0, 1, 2].map((c) => {
    const values = new Float32Array(n);
    for (let p = 0; p < n; p++) values[p] = rgb[3 * p + c] * k;
    return Math.max(1 / 255, quantile(values, q));
  }) as Vec3;
}

/** Least-squares concentrations of the two stains for every pixel's optical density. */
function concentrations(od: Float32Array, stains: [Vec3, Vec3]): [Float32Array, Float32Array] {
  const [s, t] = stains;
  const ss = s[0] * s[0] + s[1] * s[1] + s[2] * s[2];
  const tt = t[0] * t[0] + t[1] * t[1] + t[2] * t[2];
  const st = s[0] * t[0] + s[1] * t[1] + s[2] * t[2];
  const det = ss * tt - st * st;
  if (Math.abs(det) < 1e-12) throw new Error('stain vectors are parallel');
  const n = od.length / 3;
  const first = new Float32Array(n);
  const second = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    const o0 = od[3 * p];
    const o1 = od[3 * p + 1];
    const o2 = od[3 * p + 2];
    const os = s[0] * o0 + s[1] * o1 + s[2] * o2;
    const ot = t[0] * o0 + t[1] * o1 + t[2] * o2;
    first[p] = (tt * os - st * ot) / det;
    second[p] = (ss * ot - st * os) / det;
  }
  return [first, second];
}

/**
 * Macenko's stain estimate: optical densities of the stained pixels, the plane of their two main
 * directions (eigenvectors of their covariance), and the robust extreme angles in that plane
 * (alpha and 100 - alpha percentiles) as the two stain vectors.
 */
export function estimateMacenkoStains(rgb: RgbPixels, options: MacenkoOptions = {}): StainBasis {
  const n = pixelCount(rgb);
  const background = options.background ?? channelQuantiles(rgb, 0.99);
  const minDensity = options.minDensity ?? 0.15;
  const alpha = options.alpha ?? 1;
  const od = opticalDensity(rgb, background);

  const stained: number[] = [];
  for (let p = 0; p < n; p++) if (Math.hypot(od[3 * p], od[3 * p + 1], od[3 * p + 2]) >= minDensity) stained.push(p);
  if (stained.length < 3) throw new Error('estimateMacenkoStains: too few stained pixels');
  const mean = [0, 0, 0];
  for (const p of stained) for (let c = 0; c < 3; c++) mean[c] += od[3 * p + c] / stained.length;
  const covariance = [0, 1, 2].map(() => [0, 0, 0]);
  for (const p of stained) {
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) covariance[i][j] += (od[3 * p + i] - mean[i]) * (od[3 * p + j] - mean[j]);
  }
  const { vectors } = symmetricEigen(covariance);
  // Orient both axes towards positive density so the angles of stained pixels fall in one half-plane.
  const [e1, e2] = [vectors[0], vectors[1]].map((v) => (v[0] + v[1] + v[2] < 0 ? (v.map((x) => -x) as Vec3) : v));
  const angles = stained.map((p) => {
    const o = [od[3 * p], od[3 * p + 1], od[3 * p + 2]];
    return Math.atan2(o[0] * e2[0] + o[1] * e2[1] + o[2] * e2[2], o[0] * e1[0] + o[1] * e1[1] + o[2] * e1[2]);
  });
  const direction = (phi: number): Vec3 => normalise([0, 1, 2].map((c) => e1[c] * Math.cos(phi) + e2[c] * Math.sin(phi)) as Vec3);
  const low = direction(quantile(angles, alpha / 100));
  const high = direction(quantile(angles, 1 - alpha / 100));
  const stains: [Vec3, Vec3] = low[0] >= high[0] ? [low, high] : [high, low];
  const [c1, c2] = concentrations(od, stains);
  return { stains, maxConcentrations: [quantile(c1, 0.99), quantile(c2, 0.99)], background };
}

/**
 * Macenko normalisation: each pixel's stain concentrations under the source basis, rescaled so the
 * 99th percentiles match the reference, re-rendered with the reference stain vectors and light.
 * Returns Float32 RGB in 0..1.
 */
export function macenkoNormalise(rgb: RgbPixels, source: StainBasis, reference: StainBasis): Float32Array {
  const od = opticalDensity(rgb, source.background);
  const [c1, c2] = concentrations(od, source.stains);
  const scale1 = source.maxConcentrations[0] > 0 ? reference.maxConcentrations[0] / source.maxConcentrations[0] : 1;
  const scale2 = source.maxConcentrations[1] > 0 ? reference.maxConcentrations[1] / source.maxConcentrations[1] : 1;
  const [s, t] = reference.stains;
  const out = new Float32Array(od.length);
  for (let p = 0; p < c1.length; p++) {
    const a = c1[p] * scale1;
    const b = c2[p] * scale2;
    for (let c = 0; c < 3; c++) out[3 * p + c] = clamp01(reference.background[c] * Math.exp(-(s[c] * a + t[c] * b)));
  }
  return out;
}

export const STAIN_METHODS = ['reinhard', 'macenko'] as const;
export type StainMethod = (typeof STAIN_METHODS)[number];

/**
 * Stain normalisation as a model applies it (stored in its bundle): every image is mapped from its
 * own statistics to this reference, which was estimated from `images` training images.
 */
export type StainNormalisation =
  | { method: 'reinhard'; reference: ReinhardStats; images: number }
  | { method: 'macenko'; reference: StainBasis; images: number };

/**
 * Largest factor by which normalisation may stretch an image's contrast (Lab sd for Reinhard, stain
 * concentration for Macenko): a nearly empty tile would otherwise have its noise and faint debris
 * blown up to the contrast of a typical stained tile.
 */
export const MAX_STAIN_GAIN = 4;

function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

function medianVec3(vectors: readonly Vec3[]): Vec3 {
  return [0, 1, 2].map((c) => median(vectors.map((v) => v[c]))) as Vec3;
}

/**
 * The reference every image is mapped to, from sample images (e.g. a seeded draw of training
 * images). Reinhard: per channel, the median of the images' own Lab means and sds. Macenko: the
 * stain basis of all their pixels pooled, each image divided by its own light level (99th percentile
 * per channel) first, with the median light level.
 */
export function estimateStainReference(method: StainMethod, images: readonly RgbPixels[]): StainNormalisation {
  if (images.length === 0) throw new Error('stain normalisation needs at least one reference image');
  if (method === 'reinhard') {
    const stats = images.map((rgb) => estimateReinhardStats(rgb));
    return { method, reference: { mean: medianVec3(stats.map((s) => s.mean)), sd: medianVec3(stats.map((s) => s.sd)) }, images: images.length };
  }
  const backgrounds = images.map((rgb) => channelQuantiles(rgb, 0.99));
  const pooled = new Float32Array(images.reduce((sum, rgb) => sum + rgb.length, 0));
  let offset = 0;
  images.forEach((rgb, i) => {
    const k = channelScale(rgb);
    for (let j = 0; j < rgb.length; j++) pooled[offset + j] = Math.min(1, (rgb[j] * k) / backgrounds[i][j % 3]);
    offset += rgb.length;
  });
  let basis: StainBasis;
  try {
    basis = estimateMacenkoStains(pooled, { background: [1, 1, 1] });
  } catch (error) {
    throw new Error(`cannot estimate the Macenko reference stains from ${images.length} training images: ${(error as Error).message}`);
  }
  return { method, reference: { ...basis, background: medianVec3(backgrounds) }, images: images.length };
}

function isVec3(value: unknown): value is Vec3 {
  return isListOf(value, 3, (v) => typeof v === 'number' && Number.isFinite(v));
}

function isListOf(value: unknown, length: number, test: (item: unknown) => boolean): value is unknown[] {
  return Array.isArray(value) && value.length === length && value.every(test);
}

/** The stain normalisation of a bundle, checked (it comes from a JSON file). */
export function checkStainNormalisation(value: unknown): StainNormalisation {
  const { method, reference: r } = (value ?? {}) as { method?: unknown; reference?: Record<string, unknown> | null };
  const positive = (v: unknown) => typeof v === 'number' && v > 0;
  const valid =
    r != null &&
    (method === 'reinhard'
      ? isVec3(r.mean) && isVec3(r.sd)
      : method === 'macenko' && isListOf(r.stains, 2, isVec3) && isListOf(r.maxConcentrations, 2, positive) && isListOf(r.background, 3, positive));
  if (!valid) throw new Error(`invalid stain normalisation ${JSON.stringify(value)}: expected a reinhard or macenko method with its reference statistics`);
  return value as StainNormalisation;
}

/** An image's own stain basis; the reference stains at its own light level when it has too little stain to estimate them. */
function sourceBasis(rgb: RgbPixels, reference: StainBasis): StainBasis {
  const background = channelQuantiles(rgb, 0.99);
  let basis: StainBasis;
  try {
    basis = estimateMacenkoStains(rgb, { background });
  } catch {
    // Too few stained pixels, or both directions the same: only the light level can be corrected.
    basis = { stains: reference.stains, maxConcentrations: reference.maxConcentrations, background };
  }
  const maxConcentrations = basis.maxConcentrations.map((c, i) => Math.max(c, reference.maxConcentrations[i] / MAX_STAIN_GAIN)) as [number, number];
  return { ...basis, maxConcentrations };
}

/**
 * Normalises one image (interleaved RGB, 8-bit or 0..1 floats, width × height pixels) to a model's
 * reference stain. Its own statistics are estimated from its pixels, so call it on exactly what they
 * should describe: a model input as in training (the pipeline's modelInput does that already), or a
 * whole photo before tiling (then build the tiles' inputs without the bundle's stain setting, or they
 * are normalised twice). Float32 RGB in 0..1.
 */
export function normaliseStainFor(rgb: RgbPixels, width: number, height: number, spec: StainNormalisation): Float32Array {
  if (rgb.length !== width * height * 3) {
    throw new Error(`stain normalisation needs RGB images: got ${rgb.length} values for ${width}×${height} pixels`);
  }
  if (spec.method === 'reinhard') {
    const stats = estimateReinhardStats(rgb);
    const sd = stats.sd.map((s, c) => Math.max(s, spec.reference.sd[c] / MAX_STAIN_GAIN)) as Vec3;
    return reinhardNormalise(rgb, { mean: stats.mean, sd }, spec.reference);
  }
  return macenkoNormalise(rgb, sourceBasis(rgb, spec.reference), spec.reference);
}
