import type { RefusalCode } from '../contract/index.ts';
import type { ImageMeasures } from './image-measures.ts';

/** The image checks, in the order they are tried; the first that fails gives the refusal. */
export const IMAGE_CHECKS = ['blank', 'noise', 'greyscale', 'dark', 'colours', 'page', 'drawing'] as const;
export type ImageCheck = (typeof IMAGE_CHECKS)[number] & RefusalCode;

/**
 * Checks added after bundles had begun to store the checks fitted for them (OodStatistics.imageChecks),
 * in the order they were added: a microscope model gets those its bundle never tried
 * (OodStatistics.imageChecksTried, absent in bundles fitted before 'page').
 */
export const LATER_IMAGE_CHECKS: readonly ImageCheck[] = ['page', 'drawing'];

/** Checks that hold for any image a classifier can read, whatever it was trained on. */
export const UNIVERSAL_CHECKS: readonly ImageCheck[] = ['blank', 'noise'];

/**
 * Limits of the image checks. Measured (src/ood/README.md) on synthetic Gram tiles and fields and on
 * real GramStainR photos, which pass with a margin, against blank, noise, greyscale and drawn images.
 */
export const IMAGE_CHECK_LIMITS = {
  /** blank: luminance spread (99th − 1st percentile) below this; in-distribution ≥ 0.05. */
  minLuminanceSpread: 0.03,
  /** noise: neighbour correlation below this with fine-grain noise above minFineNoise; in-distribution ≥ 0.5, noise ≤ 0.04. */
  maxNoiseCorrelation: 0.3,
  minFineNoise: 0.01,
  /** greyscale: 99th percentile of chroma below this; stained slides ≥ 0.08. */
  minChroma: 0.04,
  /** dark: 90th percentile of luminance below this; bright-field slides ≥ 0.5. */
  minBrightLuminance: 0.3,
  /** colours: more than this share of the image clearly green to sky blue; stained slides 0. */
  maxOffStainShare: 0.2,
  /**
   * page: colourless marks (inkChroma below this) on colourless (paperChroma below maxPaperChroma),
   * bright (paperLuminance at least minPaperLuminance) paper. Pages of text ≤ 0.24; GramStainR photos
   * and crops ≥ 0.27 (their glass is lilac or yellow, chroma ≥ 0.11); synthetic validation tiles whose
   * debris is grey all lie on tinted or darker glass.
   */
  maxInkChroma: 0.25,
  maxPaperChroma: 0.06,
  minPaperLuminance: 0.85,
  /**
   * drawing: more of the marks than this are flat fills (flatMarkShare). Synthetic validation tiles and
   * fields and GramStainR photos and crops ≤ 0.05; most drawings above 0.3.
   */
  maxFlatMarkShare: 0.3,
} as const;

/** Why each check refuses, completing "this is not something I can read: …". */
export const IMAGE_CHECK_REASONS: Record<ImageCheck, string> = {
  blank: 'the image is blank or almost uniform',
  noise: 'the image looks like random noise, not a photo through a microscope',
  greyscale: 'the image has no colour, so it is not a photo of a stained slide',
  dark: 'the image is too dark for a bright-field microscope photo',
  colours: 'much of the image is green to blue, colours no Gram stain has',
  page: 'it shows colourless marks on white paper (a page of text or a drawing), not stained objects on a slide',
  drawing: 'its marks are flat fills of one exact colour, as in a drawing or a screenshot, not objects photographed through a microscope',
};

/** The first of `checks` the measures fail, or null when they pass them all. */
export function failedImageCheck(measures: ImageMeasures, checks: readonly ImageCheck[] = IMAGE_CHECKS): ImageCheck | null {
  const limits = IMAGE_CHECK_LIMITS;
  const fails: Record<ImageCheck, () => boolean> = {
    blank: () => measures.luminanceSpread < limits.minLuminanceSpread,
    noise: () => measures.neighbourCorrelation < limits.maxNoiseCorrelation && measures.fineNoise > limits.minFineNoise,
    greyscale: () => measures.chroma < limits.minChroma,
    dark: () => measures.brightLuminance < limits.minBrightLuminance,
    colours: () => measures.offStainShare > limits.maxOffStainShare,
    page: () =>
      measures.inkChroma !== null && measures.inkChroma < limits.maxInkChroma && measures.paperChroma < limits.maxPaperChroma && measures.paperLuminance >= limits.minPaperLuminance,
    drawing: () => measures.flatMarkShare !== null && measures.flatMarkShare > limits.maxFlatMarkShare,
  };
  return IMAGE_CHECKS.find((check) => checks.includes(check) && fails[check]()) ?? null;
}
