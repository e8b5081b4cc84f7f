import { quantile } from '../preprocess/index.ts';
import { discCoverage, fieldOfViewFromOverview, wholeFrame, type FieldOfView } from './fov.ts';
import { checkRgb, downscaleLuminance, histogram, histogramQuantile, type GreyImage } from './image.ts';
import { BACKGROUND_QUANTILE, measureObjectScale } from './objects.ts';

/**
 * Checks are made on a block-averaged copy at ANALYSIS_PX_PER_UM when the photo's scale is known
 * (so focus is judged relative to bacteria, whatever the camera), else on a copy whose long side is
 * about ANALYSIS_SIDE.
 */
export const ANALYSIS_PX_PER_UM = 4.5;
export const ANALYSIS_SIDE = 800;
/** The focus and exposure measures skip the outer 10% of the field radius (soft, darker rim). */
const INNER_RADIUS = 0.9;
/** A channel value at or above this is clipped. */
const CLIP_LEVEL = 250;

/**
 * Typical width (µm) of the strongly stained objects as measureObjectScale reads it (width at half
 * the stain's peak, 35th percentile over objects). Real Gram-negative rods read 0.43–0.63 µm at
 * their hand-measured scale (GramStainR reference E. coli ~0.58, P. aeruginosa ~0.43; DIBaS
 * E. coli, P. aeruginosa and B. fragilis 0.42–0.56); default-difficulty synthetic fields of
 * bacteria read 0.41–0.78 at 9 px/µm (small Gram-negative rods to bacilli). 0.55 µm sits between:
 * the estimate is within about ±30% on both (src/fields/README.md).
 */
export const EXPECTED_OBJECT_WIDTH_UM = 0.55;

/**
 * Scales a photo through a microscope can have: a phone or camera on a 100× oil objective puts the
 * 180–265 µm field of a 10× eyepiece (field number 18–26.5) across ~1000–4000 px of an 8–12 MP
 * photo (5–22 px/µm); the phone's zoom, cropping inside the field or a 1× camera adapter reach ~40.
 * Outside this range an estimate is taken to be wrong.
 */
export const PLAUSIBLE_PX_PER_UM: readonly [number, number] = [5, 40];
/** Field of view across (µm) of a 10× eyepiece of field number 20 over a 100× objective: the guess when no objects can be read. */
export const TYPICAL_FIELD_UM = 200;
/** Fields of view across (µm) the estimate may imply before it is said not to fit the photo: 100× oil objective, eyepiece field numbers ~10 to 30. */
export const FIELD_UM_RANGE: readonly [number, number] = [100, 300];
/** Fewer objects than this make the estimate rough. */
export const ROUGH_OBJECT_COUNT = 20;

/** Limits of the quality gate (see QUALITY_THRESHOLDS for the calibrated values and what they catch). */
export interface QualityThresholds {
  /** 'out of focus' below this sharpness. */
  minSharpness: number;
  /** 'too dark' when the background (clear glass) luminance is below this (0..1). */
  minBackgroundLuminance: number;
  /** 'too bright' when more of the field than this is clipped. */
  maxClippedFraction: number;
  /** 'field of view too small' when the lit field covers less of the photo than this. */
  minFovFraction: number;
  /** 'magnification too low' / 'too high' outside [min, max] x the expected object width. */
  minMagnification: number;
  maxMagnification: number;
}

/**
 * Calibrated on synthetic fields with measureQualityGate (src/synth/photos; numbers in src/fields/README.md): fields
 * of the default difficulty pass, and fields with focus blur >= 0.5 µm (4.5 px at 9 px/µm),
 * exposure <= 0.35x or >= 2.5x, a scale <= 0.25x or >= 3.5x the configured one, or no lit field
 * are flagged.
 */
export const QUALITY_THRESHOLDS: Readonly<QualityThresholds> = {
  minSharpness: 0.22,
  minBackgroundLuminance: 0.4,
  maxClippedFraction: 0.75,
  minFovFraction: 0.05,
  minMagnification: 0.35,
  maxMagnification: 5,
};

export type QualityReason =
  | 'no field of view'
  | 'field of view too small'
  | 'out of focus'
  | 'too dark'
  | 'too bright'
  | 'magnification too low'
  | 'magnification too high';

export interface QualityMeasures {
  /** Steepness of the strongest edges in the inner field (see edgeSharpness): at most 0.375, falling with blur. */
  sharpness: number;
  /** Mean luminance (0..1) of the inner field. */
  meanLuminance: number;
  /** Luminance of the clear background: the BACKGROUND_QUANTILE of the inner field. */
  backgroundLuminance: number;
  /** Share of field pixels with a channel at or above 250. */
  clippedFraction: number;
  /** Share of the photo inside the field of view. */
  fovFraction: number;
  /** Typical width of the dark-stained objects in photo pixels; null when too few were seen. */
  objectScalePx: number | null;
  objectCount: number;
  /** objectScalePx over the expected width at the configured px/µm; null without both. */
  magnification: number | null;
}

export interface QualityReport {
  ok: boolean;
  reasons: QualityReason[];
  measures: QualityMeasures;
  fov: FieldOfView | null;
}

export interface QualityOptions {
  /** The photo's expected scale (pixels per micrometre); enables the magnification check. */
  pxPerUm?: number;
  thresholds?: Partial<QualityThresholds>;
}

/**
 * The photo's scale read from the typical width of its stained objects (EXPECTED_OBJECT_WIDTH_UM),
 * or null when too few objects were seen. Biased by what is in view (yeasts read 2–3× too fine a
 * scale): a fallback when the device's calibration is not known (see estimateScale for the checks).
 */
export function estimatePxPerUm(measures: QualityMeasures): number | null {
  return measures.objectScalePx === null ? null : measures.objectScalePx / EXPECTED_OBJECT_WIDTH_UM;
}

/** Where a photo's scale came from: its stained objects' widths, the size of its field of view, or nowhere. */
export type ScaleBasis = 'objects' | 'field of view' | 'none';

export interface ScaleEstimate {
  /** Pixels per micrometre, null when nothing could be estimated. */
  pxPerUm: number | null;
  basis: ScaleBasis;
  /** The reading from the objects' widths, even when it was not used (implausible). */
  fromObjects: number | null;
  /** Why the estimate is rough, a guess, or was not used, in words for the user. */
  warnings: string[];
}

export interface ScaleEstimateOptions {
  /** When no plausible reading comes from the objects, guess from the size of the field of view (TYPICAL_FIELD_UM across). Default true. */
  guessFromFieldOfView?: boolean;
}

const round1 = (v: number): number => Math.round(v * 10) / 10;

/**
 * The photo's scale when the device's calibration is not known: from the widths of its stained
 * objects (estimatePxPerUm), checked against PLAUSIBLE_PX_PER_UM and against the field of view
 * (the eyepiece circle's diameter, or the frame's diagonal when the photo is cropped inside the
 * field, should span FIELD_UM_RANGE); else, optionally, a guess from the size of the field of view.
 * Every estimate is a fallback: the warnings say how rough.
 */
export function estimateScale(measures: QualityMeasures, fov: FieldOfView | null, width: number, height: number, options: ScaleEstimateOptions = {}): ScaleEstimate {
  const { guessFromFieldOfView = true } = options;
  const [low, high] = PLAUSIBLE_PX_PER_UM;
  const warnings: string[] = [];
  const fromObjects = estimatePxPerUm(measures);
  const wholeFrame = fov === null || measures.fovFraction >= 0.985;
  // The field's extent in pixels: the eyepiece circle, or (cropped inside it) at least the frame's diagonal.
  const fieldPx = fov === null ? null : wholeFrame ? Math.hypot(width, height) : 2 * fov.r;
  if (fromObjects !== null) {
    if (fromObjects >= low && fromObjects <= high) {
      if (measures.objectCount < ROUGH_OBJECT_COUNT) warnings.push(`the scale rests on only ${measures.objectCount} stained objects: rough`);
      if (fieldPx !== null) {
        const fieldUm = fieldPx / fromObjects;
        const [fieldLow, fieldHigh] = FIELD_UM_RANGE;
        // Cropped inside the field, the frame may be smaller than the field, never larger.
        if (fieldUm > fieldHigh || (!wholeFrame && fieldUm < fieldLow)) {
          warnings.push(`at ${round1(fromObjects)} px/µm the ${wholeFrame ? 'photo' : 'field of view'} would span ${Math.round(fieldUm)} µm, unlike a 100× objective (${fieldLow}–${fieldHigh} µm): the stained objects may not be bacteria, or the magnification is not 100×`);
        }
      }
      return { pxPerUm: fromObjects, basis: 'objects', fromObjects, warnings };
    }
    warnings.push(`the stained objects' widths give ${round1(fromObjects)} px/µm, outside the plausible ${low}–${high} px/µm of a 100× objective: not used`);
  }
  if (guessFromFieldOfView && fieldPx !== null) {
    const guess = fieldPx / TYPICAL_FIELD_UM;
    if (guess >= low && guess <= high) {
      warnings.push(`the scale is a guess from the size of the field of view (${Math.round(fieldPx)} px taken as ${TYPICAL_FIELD_UM} µm across${wholeFrame ? ', the photo being cropped inside the field' : ''}): only right for a 100× objective and a 10× eyepiece`);
      return { pxPerUm: guess, basis: 'field of view', fromObjects, warnings };
    }
  }
  return { pxPerUm: null, basis: 'none', fromObjects, warnings };
}

/** The integer block size of the analysis copy. */
export function analysisFactor(width: number, height: number, pxPerUm?: number): number {
  if (pxPerUm !== undefined) return Math.max(1, Math.round(pxPerUm / ANALYSIS_PX_PER_UM));
  return Math.max(1, Math.round(Math.max(width, height) / ANALYSIS_SIDE));
}

/** Share of the steepest-gradient pixels whose edges are examined. */
const STEEPEST_SHARE = 0.002;
/** Half-side of the window whose luminance range is the local contrast of an edge (2 µm at the analysis scale). */
const CONTRAST_RADIUS = 4;
/** Gradients are binned over 0..0.75, above the largest central difference of a 0..1 image. */
const GRADIENT_BINS = 1536;
const GRADIENT_RANGE = 0.75;

/** The image smoothed by the 3 x 3 binomial kernel ([1 2 1] / 4 each way, edges repeated). */
export function binomialSmooth(image: GreyImage): GreyImage {
  const { data, width, height } = image;
  const rows = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      rows[p] = (data[x > 0 ? p - 1 : p] + 2 * data[p] + data[x < width - 1 ? p + 1 : p]) / 4;
    }
  }
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      out[p] = (rows[y > 0 ? p - width : p] + 2 * rows[p] + rows[y < height - 1 ? p + width : p]) / 4;
    }
  }
  return { data: out, width, height };
}

/**
 * How steep the strongest edges of the field are: on the image lightly smoothed (so sensor noise
 * cannot pass for edges in a blurred photo), for the STEEPEST_SHARE of pixels with the largest
 * gradient inside the disc, the gradient (central differences) over the luminance range of the
 * surrounding 9 x 9 window, its 90th percentile. A perfect step gives 0.375; blur spreads the edge
 * and lowers it. Unlike the variance of the Laplacian it does not grow with the number of objects
 * or with contrast, so one threshold fits sparse and crowded fields.
 */
export function edgeSharpness(image: GreyImage, cx: number, cy: number, radius: number): number {
  const { data, width, height } = binomialSmooth(image);
  const margin = CONTRAST_RADIUS;
  const r2 = radius * radius;
  const gradient = new Float32Array(data.length);
  const counts = new Float64Array(GRADIENT_BINS);
  for (let y = margin; y < height - margin; y++) {
    const dy2 = (y + 0.5 - cy) ** 2;
    if (dy2 > r2) continue;
    for (let x = margin; x < width - margin; x++) {
      if ((x + 0.5 - cx) ** 2 + dy2 > r2) continue;
      const p = y * width + x;
      const g = Math.hypot(data[p + 1] - data[p - 1], data[p + width] - data[p - width]) / 2;
      gradient[p] = g;
      counts[Math.min(GRADIENT_BINS - 1, Math.floor((g / GRADIENT_RANGE) * GRADIENT_BINS))]++;
    }
  }
  // The lower edge of the quantile's bin, so the pixels in that bin are included.
  const limit = (histogramQuantile(counts, 1 - STEEPEST_SHARE) - 0.5 / GRADIENT_BINS) * GRADIENT_RANGE;
  const ratios: number[] = [];
  for (let p = 0; p < gradient.length; p++) {
    if (!(gradient[p] > 0 && gradient[p] >= limit)) continue;
    const x = p % width;
    const y = (p - x) / width;
    let lo = Infinity;
    let hi = -Infinity;
    for (let dy = -margin; dy <= margin; dy++) {
      for (let dx = -margin, q = (y + dy) * width + x - margin; dx <= margin; dx++, q++) {
        if (data[q] < lo) lo = data[q];
        if (data[q] > hi) hi = data[q];
      }
    }
    ratios.push(gradient[p] / (hi - lo));
  }
  return ratios.length === 0 ? 0 : quantile(ratios, 0.9);
}

/** Share of photo pixels, sampled every `stride` pixels each way inside the disc, with a clipped channel. */
export function clippedShare(rgb: Uint8Array, width: number, height: number, fov: FieldOfView, stride: number): number {
  let clipped = 0;
  let total = 0;
  const r2 = fov.r * fov.r;
  for (let y = stride >> 1; y < height; y += stride) {
    const dy2 = (y + 0.5 - fov.cy) ** 2;
    if (dy2 > r2) continue;
    for (let x = stride >> 1; x < width; x += stride) {
      if ((x + 0.5 - fov.cx) ** 2 + dy2 > r2) continue;
      const i = (y * width + x) * 3;
      total++;
      if (rgb[i] >= CLIP_LEVEL || rgb[i + 1] >= CLIP_LEVEL || rgb[i + 2] >= CLIP_LEVEL) clipped++;
    }
  }
  return total === 0 ? 0 : clipped / total;
}

function luminanceWithin(image: GreyImage, fov: FieldOfView): { mean: number; background: number } {
  const { data, width } = image;
  const r2 = fov.r * fov.r;
  const inside = (i: number): boolean => {
    const x = i % width;
    const y = (i - x) / width;
    return (x + 0.5 - fov.cx) ** 2 + (y + 0.5 - fov.cy) ** 2 <= r2;
  };
  const counts = histogram(data, 256, inside);
  let total = 0;
  let sum = 0;
  for (let bin = 0; bin < counts.length; bin++) {
    total += counts[bin];
    sum += counts[bin] * (bin + 0.5);
  }
  return { mean: total === 0 ? 0 : sum / total / counts.length, background: total === 0 ? 0 : histogramQuantile(counts, BACKGROUND_QUANTILE) };
}

function shrink(fov: FieldOfView, factor: number): FieldOfView {
  return { cx: fov.cx / factor, cy: fov.cy / factor, r: fov.r / factor };
}

/**
 * Decides whether a photo is good enough to classify: a lit field of view, in focus, exposed so the
 * glass is neither dark nor clipped, and (with pxPerUm) at the expected magnification.
 */
export function assessQuality(rgb: Uint8Array, width: number, height: number, options: QualityOptions = {}): QualityReport {
  checkRgb(rgb, width, height);
  const { pxPerUm } = options;
  if (pxPerUm !== undefined && !(Number.isFinite(pxPerUm) && pxPerUm > 0)) throw new Error(`pxPerUm must be a positive number (got ${pxPerUm})`);
  const limits = { ...QUALITY_THRESHOLDS, ...options.thresholds };
  const factor = analysisFactor(width, height, pxPerUm);
  const overview = downscaleLuminance(rgb, width, height, factor);
  const fov = fieldOfViewFromOverview(overview, factor, width, height);

  // Without a field the exposure is still reported, over the whole photo.
  const photoRegion = fov ?? wholeFrame(width, height);
  const region = shrink(photoRegion, factor);
  const inner = { ...region, r: region.r * INNER_RADIUS };
  const { mean, background } = luminanceWithin(overview, inner);
  const objects = fov ? measureObjectScale(rgb, width, height, fov) : { widthPx: null, objectCount: 0 };
  const magnification = pxPerUm !== undefined && objects.widthPx !== null ? objects.widthPx / (EXPECTED_OBJECT_WIDTH_UM * pxPerUm) : null;
  const measures: QualityMeasures = {
    sharpness: edgeSharpness(overview, inner.cx, inner.cy, inner.r),
    meanLuminance: mean,
    backgroundLuminance: background,
    clippedFraction: clippedShare(rgb, width, height, photoRegion, factor),
    fovFraction: fov ? discCoverage(region, overview.width, overview.height) : 0,
    objectScalePx: objects.widthPx,
    objectCount: objects.objectCount,
    magnification,
  };

  const reasons: QualityReason[] = [];
  if (!fov) reasons.push('no field of view');
  else if (measures.fovFraction < limits.minFovFraction) reasons.push('field of view too small');
  if (background < limits.minBackgroundLuminance) reasons.push('too dark');
  if (measures.clippedFraction > limits.maxClippedFraction) reasons.push('too bright');
  const outOfFocus = fov !== null && measures.sharpness < limits.minSharpness;
  if (outOfFocus) reasons.push('out of focus');
  // Blur spreads and merges objects, so their width says nothing of the magnification until the photo is sharp.
  if (!outOfFocus && magnification !== null && magnification < limits.minMagnification) reasons.push('magnification too low');
  if (!outOfFocus && magnification !== null && magnification > limits.maxMagnification) reasons.push('magnification too high');
  return { ok: reasons.length === 0, reasons, measures, fov };
}
