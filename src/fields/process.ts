import { assessQuality, estimateScale, type QualityReport, type QualityThresholds, type ScaleEstimate } from './quality.ts';
import { isBackgroundTile, tileField, type Rgb, type Tile } from './tiles.ts';

export interface ProcessPhotoOptions {
  /** The model's input side in pixels. */
  tileSizePx: number;
  /** Share of a tile shared with its neighbour. Default 0.25. */
  overlap?: number;
  /** The model's training scale (px/µm). */
  targetPxPerUm?: number;
  /** The photo's scale (px/µm, from the device's calibration): enables resampling to the model's scale and the magnification check. */
  sourcePxPerUm?: number;
  /** Without sourcePxPerUm, read the photo's scale from its objects' widths (estimateScale) to resample the tiles. */
  estimateSourceScale?: boolean;
  /**
   * With estimateSourceScale, when the objects give no plausible scale, guess it from the size of
   * the field of view (estimateScale; a 100× objective's field is ~200 µm across) rather than cut
   * the tiles at the photo's own pixels. Default false.
   */
  guessSourceScale?: boolean;
  /** Least share of a tile inside the field of view. Default 0.9. */
  minInside?: number;
  thresholds?: Partial<QualityThresholds>;
}

export interface PhotoTile extends Tile {
  /** No stained objects on it (see isBackgroundTile): skip or down-weight. */
  background: boolean;
}

export interface ProcessedPhoto {
  /** Size after EXIF orientation. */
  width: number;
  height: number;
  quality: QualityReport;
  /** Tiles of the field of view (none when no field was found), whether or not the quality gate passed. */
  tiles: PhotoTile[];
  /** Output pixels per photo pixel. */
  scale: number;
  /** The photo scale the tiles were cut at: given, estimated (scaleEstimate says how), or none (the photo's own pixels). */
  sourcePxPerUm: { value: number; estimated: boolean } | null;
  /** With estimateSourceScale and no sourcePxPerUm: the estimate, its basis and its warnings (also when it gave no scale). */
  scaleEstimate: ScaleEstimate | null;
  fill: Rgb | null;
  timings: { decodeMs: number; qualityMs: number; tilingMs: number; totalMs: number };
}

/**
 * A decoded phone photo through the eyepiece (8-bit RGB, upright), ready for a tile model: checked
 * (field of view, focus, exposure, magnification), cut into tiles of the field at the model's scale
 * (Float32 RGB 0..1), each marked background or not, with the time each step took. No Node APIs:
 * the server (processPhoto) and the web app run this same code.
 */
export function processPixels(rgb: Uint8Array, width: number, height: number, options: ProcessPhotoOptions, decodeMs = 0): ProcessedPhoto {
  const start = performance.now() - decodeMs;
  const decoded = performance.now();
  const quality = assessQuality(rgb, width, height, { pxPerUm: options.sourcePxPerUm, thresholds: options.thresholds });
  const checked = performance.now();
  const scaleEstimate =
    options.sourcePxPerUm === undefined && options.estimateSourceScale
      ? estimateScale(quality.measures, quality.fov, width, height, { guessFromFieldOfView: options.guessSourceScale ?? false })
      : null;
  const estimated = scaleEstimate?.pxPerUm ?? null;
  const sourcePxPerUm = options.sourcePxPerUm ?? estimated ?? undefined;
  const tiled = quality.fov
    ? tileField(rgb, width, height, {
        fov: quality.fov,
        tileSizePx: options.tileSizePx,
        overlap: options.overlap,
        targetPxPerUm: options.targetPxPerUm,
        sourcePxPerUm,
        minInside: options.minInside,
      })
    : null;
  const tiles = (tiled?.tiles ?? []).map((tile) => ({ ...tile, background: isBackgroundTile(tile) }));
  const end = performance.now();
  return {
    width,
    height,
    quality,
    tiles,
    scale: tiled?.scale ?? 1,
    sourcePxPerUm: sourcePxPerUm === undefined ? null : { value: sourcePxPerUm, estimated: estimated !== null },
    scaleEstimate,
    fill: tiled?.fill ?? null,
    timings: { decodeMs: decoded - start, qualityMs: checked - decoded, tilingMs: end - checked, totalMs: end - start },
  };
}
