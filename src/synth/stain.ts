/**
 * Stains as optical densities (absorbance per unit thickness, R G B): a pixel's transmitted light is
 * exp(-sum of densities), so overlapping cells darken the way stained material does in brightfield.
 */
export type Rgb = readonly [number, number, number];

/** Crystal violet-iodine: absorbs red and green, so Gram-positives look violet to navy. */
export const CRYSTAL_VIOLET: Rgb = [1.55, 1.95, 0.62];

/** Safranin counterstain: absorbs green, some blue, so Gram-negatives look pink to red. */
export const SAFRANIN: Rgb = [0.22, 1.05, 0.55];

/** Red-cell haemoglobin under safranin: pale orange-pink. */
export const HAEM: Rgb = [0.06, 0.32, 0.3];

/** Neutral grey-brown (dust, pigment). */
export const NEUTRAL: Rgb = [0.45, 0.5, 0.6];

export function mixStains(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

export function scaleStain(stain: Rgb, k: number): Rgb {
  return [stain[0] * k, stain[1] * k, stain[2] * k];
}

export function addStains(a: Rgb, b: Rgb): Rgb {
  return [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
}
