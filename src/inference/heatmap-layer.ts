import { applyColourMap, normaliseHeatmap, upsampleBilinear, type Heatmap } from '../explain/portable.ts';
import type { InputPolicy } from '../models/portable.ts';
import type { RgbaLayer } from './field-layers.ts';

/** The rectangle of a photo that a resize policy feeds to the network (all of it, except with 'cover'). */
export function visibleRegion(photoWidth: number, photoHeight: number, inputWidth: number, inputHeight: number, fit: 'cover' | 'contain' | 'fill') {
  if (fit !== 'cover') return { left: 0, top: 0, width: photoWidth, height: photoHeight };
  const scale = Math.max(inputWidth / photoWidth, inputHeight / photoHeight);
  const width = Math.min(photoWidth, Math.round(inputWidth / scale));
  const height = Math.min(photoHeight, Math.round(inputHeight / scale));
  return { left: Math.floor((photoWidth - width) / 2), top: Math.floor((photoHeight - height) / 2), width, height };
}

/** Longest side of a tile photo's heatmap layer, as the server serves it and the page draws it. */
export const HEATMAP_LAYER_MAX_SIDE = 768;

/**
 * A colour layer (turbo) the size of the photo (at most `maxSide` on a side), coloured over the
 * region the model saw and transparent elsewhere, so that a client can lay it over the photo with
 * its own opacity.
 */
export function heatmapLayer(photoWidth: number, photoHeight: number, heatmap: Heatmap, input: Pick<InputPolicy, 'width' | 'height' | 'fit'>, maxSide: number): RgbaLayer {
  const scale = Math.min(1, maxSide / Math.max(photoWidth, photoHeight));
  const outWidth = Math.max(1, Math.round(photoWidth * scale));
  const outHeight = Math.max(1, Math.round(photoHeight * scale));
  const region = visibleRegion(photoWidth, photoHeight, input.width, input.height, input.fit);
  const left = Math.round(region.left * scale);
  const top = Math.round(region.top * scale);
  const regionWidth = Math.max(1, Math.min(outWidth - left, Math.round(region.width * scale)));
  const regionHeight = Math.max(1, Math.min(outHeight - top, Math.round(region.height * scale)));
  const colours = applyColourMap(normaliseHeatmap(upsampleBilinear(heatmap, regionHeight, regionWidth)).map, 'turbo');
  const rgba = new Uint8Array(outWidth * outHeight * 4);
  for (let y = 0; y < regionHeight; y++) {
    for (let x = 0; x < regionWidth; x++) {
      const from = (y * regionWidth + x) * 3;
      const to = ((top + y) * outWidth + left + x) * 4;
      rgba[to] = colours[from];
      rgba[to + 1] = colours[from + 1];
      rgba[to + 2] = colours[from + 2];
      rgba[to + 3] = 255;
    }
  }
  return { rgba, width: outWidth, height: outHeight, scale };
}
