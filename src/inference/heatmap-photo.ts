import sharp from 'sharp';
import { applyColourMap, normaliseHeatmap, renderOverlayPng, upsampleBilinear, type ColourMapName, type Heatmap } from '../explain/index.ts';
import type { InputPolicy } from '../models/index.ts';

/** The rectangle of a photo that a resize policy feeds to the network (all of it, except with 'cover'). */
export function visibleRegion(photoWidth: number, photoHeight: number, inputWidth: number, inputHeight: number, fit: 'cover' | 'contain' | 'fill') {
  if (fit !== 'cover') return { left: 0, top: 0, width: photoWidth, height: photoHeight };
  const scale = Math.max(inputWidth / photoWidth, inputHeight / photoHeight);
  const width = Math.min(photoWidth, Math.round(inputWidth / scale));
  const height = Math.min(photoHeight, Math.round(inputHeight / scale));
  return { left: Math.floor((photoWidth - width) / 2), top: Math.floor((photoHeight - height) / 2), width, height };
}

export type HeatmapOverPhotoOptions =
  /** The heatmap blended over the region of the photo the model saw, cropped to that region. */
  | { style: 'blend'; maxSide: number; alpha?: number; colormap?: ColourMapName }
  /**
   * A colour layer (turbo) the size of the whole photo, coloured over the region the model saw and
   * transparent elsewhere, so that a client can lay it over the photo with its own opacity.
   */
  | { style: 'layer'; maxSide: number };

/** A heatmap of the model's input over the photo (encoded bytes, EXIF orientation applied), as PNG at most `maxSide` on a side. */
export async function renderHeatmapOverPhoto(photo: Buffer, heatmap: Heatmap, input: InputPolicy, options: HeatmapOverPhotoOptions): Promise<Buffer> {
  return options.style === 'blend' ? blendOverRegion(photo, heatmap, input, options) : layerOverPhoto(photo, heatmap, input, options.maxSide);
}

async function blendOverRegion(photo: Buffer, heatmap: Heatmap, input: InputPolicy, options: { maxSide: number; alpha?: number; colormap?: ColourMapName }): Promise<Buffer> {
  const upright = await sharp(photo).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const region = visibleRegion(upright.info.width, upright.info.height, input.width, input.height, input.fit);
  const seen = await sharp(upright.data, { raw: { width: upright.info.width, height: upright.info.height, channels: 3 } })
    .extract(region)
    .resize({ width: options.maxSide, height: options.maxSide, fit: 'inside', withoutEnlargement: true })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return renderOverlayPng({ data: new Uint8Array(seen.data), width: seen.info.width, height: seen.info.height }, heatmap, { alpha: options.alpha, colormap: options.colormap });
}

async function layerOverPhoto(photo: Buffer, heatmap: Heatmap, input: InputPolicy, maxSide: number): Promise<Buffer> {
  const { width = 0, height = 0, orientation } = await sharp(photo).metadata();
  const [photoWidth, photoHeight] = orientation && orientation >= 5 ? [height, width] : [width, height];
  const scale = Math.min(1, maxSide / Math.max(photoWidth, photoHeight));
  const outWidth = Math.max(1, Math.round(photoWidth * scale));
  const outHeight = Math.max(1, Math.round(photoHeight * scale));
  const region = visibleRegion(photoWidth, photoHeight, input.width, input.height, input.fit);
  const left = Math.round(region.left * scale);
  const top = Math.round(region.top * scale);
  const regionWidth = Math.max(1, Math.min(outWidth - left, Math.round(region.width * scale)));
  const regionHeight = Math.max(1, Math.min(outHeight - top, Math.round(region.height * scale)));
  const colours = applyColourMap(normaliseHeatmap(upsampleBilinear(heatmap, regionHeight, regionWidth)).map, 'turbo');
  const layer = await sharp(Buffer.from(colours), { raw: { width: regionWidth, height: regionHeight, channels: 3 } }).ensureAlpha(1).png().toBuffer();
  return sharp({ create: { width: outWidth, height: outHeight, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
    .composite([{ input: layer, left, top }])
    .png()
    .toBuffer();
}
