import sharp from 'sharp';
import { renderOverlayPng, type ColourMapName, type Heatmap } from '../explain/index.ts';
import type { InputPolicy } from '../models/index.ts';
import { heatmapLayer, visibleRegion } from './heatmap-layer.ts';

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
  const layer = heatmapLayer(photoWidth, photoHeight, heatmap, input, maxSide);
  return sharp(layer.rgba, { raw: { width: layer.width, height: layer.height, channels: 4 } }).png().toBuffer();
}
