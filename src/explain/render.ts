import sharp from 'sharp';
import { applyColourMap, type ColourMapName } from './colour-map.ts';
import { normaliseHeatmap, upsampleBilinear } from './heatmap.ts';
import { checkHeatmap, type Heatmap } from './types.ts';

/** 8-bit RGB pixels, row-major height × width × 3. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface OverlayOptions {
  /** Weight of the heat colours: 0 shows the photo only, 1 the colour-mapped heatmap only. Default 0.5. */
  alpha?: number;
  /** Default 'viridis'. */
  colormap?: ColourMapName;
}

function checkRgbImage(image: RgbImage): void {
  const { width, height, data } = image;
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new Error(`image needs positive integer width and height, got ${width} × ${height}`);
  }
  if (data.length !== width * height * 3) {
    throw new Error(`image has ${data.length} bytes, expected ${width} × ${height} × 3 = ${width * height * 3} (RGB)`);
  }
}

/**
 * Upsamples the map to the image, scales it to [0, 1], colours it and alpha-blends it over the image:
 * out = (1 − alpha) · image + alpha · colour.
 */
export function overlayHeatmap(image: RgbImage, heatmap: Heatmap, options: OverlayOptions = {}): RgbImage {
  checkRgbImage(image);
  checkHeatmap(heatmap);
  const alpha = options.alpha ?? 0.5;
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`alpha must be in [0, 1], got ${alpha}`);
  const scaled = normaliseHeatmap(upsampleBilinear(heatmap, image.height, image.width));
  const colours = applyColourMap(scaled.map, options.colormap ?? 'viridis');
  const data = new Uint8Array(image.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.round((1 - alpha) * image.data[i] + alpha * colours[i]);
  return { data, width: image.width, height: image.height };
}

export interface OverlayPngOptions extends OverlayOptions {
  /** Shrink the photo (keeping its aspect) so that its longer side is at most this many pixels first. */
  maxSide?: number;
}

/** RGB pixels of a photo (encoded bytes in any format sharp reads, EXIF orientation applied; or RGB pixels), optionally shrunk. */
export async function toRgbImage(photo: Uint8Array | RgbImage, maxSide?: number): Promise<RgbImage> {
  if (!(photo instanceof Uint8Array)) checkRgbImage(photo);
  if (maxSide !== undefined && !(Number.isInteger(maxSide) && maxSide > 0)) throw new Error(`maxSide must be a positive integer, got ${maxSide}`);
  if (!(photo instanceof Uint8Array) && maxSide === undefined) return photo;
  let pipeline = photo instanceof Uint8Array ? sharp(photo).rotate() : sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } });
  if (maxSide !== undefined) pipeline = pipeline.resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true });
  const { data, info } = await pipeline.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** The heatmap over the photo as PNG bytes. */
export async function renderOverlayPng(photo: Uint8Array | RgbImage, heatmap: Heatmap, options: OverlayPngOptions = {}): Promise<Buffer> {
  const blended = overlayHeatmap(await toRgbImage(photo, options.maxSide), heatmap, options);
  return sharp(blended.data, { raw: { width: blended.width, height: blended.height, channels: 3 } }).png().toBuffer();
}
