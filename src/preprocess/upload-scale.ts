/**
 * How far a photo can be shrunk before upload and still give the model what it reads: it is tiled
 * at the model's physical scale (pixels per µm), so detail finer than that is thrown away anyway.
 * Runs in the browser (no Node APIs).
 */

/** Without a known scale, the long side is brought down to this (a 12-megapixel photo to about 3). */
export const UPLOAD_MAX_SIDE = 2048;
/**
 * Kept above the model's scale by this factor: the quality gate reads object widths and focus on the
 * full-resolution photo, and the tiler still shrinks rather than enlarges.
 */
export const UPLOAD_SCALE_MARGIN = 1.5;

export interface UploadScaleInput {
  width: number;
  height: number;
  /** The photo's calibration, when the user gave it. */
  photoPxPerUm?: number | null;
  /** The model's input scale, when its bundle records it. */
  modelPxPerUm?: number | null;
}

/**
 * The factor (≤ 1) to multiply the photo's sides by before upload. With both scales known: down to
 * UPLOAD_SCALE_MARGIN × the model's scale. Otherwise: the long side down to UPLOAD_MAX_SIDE. A photo
 * sent shrunk must be sent with its scale shrunk alike (photoPxPerUm × factor).
 */
export function uploadScale({ width, height, photoPxPerUm, modelPxPerUm }: UploadScaleInput): number {
  if (!(width > 0 && height > 0)) throw new Error(`a photo has positive sides (got ${width} x ${height})`);
  const byScale = photoPxPerUm && modelPxPerUm ? (UPLOAD_SCALE_MARGIN * modelPxPerUm) / photoPxPerUm : null;
  const factor = byScale ?? UPLOAD_MAX_SIDE / Math.max(width, height);
  return Math.min(1, factor);
}
