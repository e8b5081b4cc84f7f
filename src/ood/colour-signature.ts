import { hueOf } from './image-measures.ts';

/** Hue bins of the colour signature (30° each). */
export const HUE_BINS = 12;

/**
 * An image's colours in a few numbers, as the out-of-distribution colour score compares them with
 * the training images': the chroma-weighted hue histogram (HUE_BINS bins, each the summed chroma of
 * its pixels over the pixel count) and the mean luminance. RGB values 0..1, interleaved.
 */
export function colourSignature(rgb: ArrayLike<number>): number[] {
  const pixels = rgb.length / 3;
  if (!Number.isInteger(pixels) || pixels === 0) throw new Error(`expected interleaved RGB values, got ${rgb.length}`);
  const signature = new Array<number>(HUE_BINS + 1).fill(0);
  for (let i = 0; i < pixels; i++) {
    const r = rgb[i * 3];
    const g = rgb[i * 3 + 1];
    const b = rgb[i * 3 + 2];
    const chroma = Math.max(r, g, b) - Math.min(r, g, b);
    if (chroma > 0) signature[Math.floor((hueOf(r, g, b) * HUE_BINS) / 360) % HUE_BINS] += chroma / pixels;
    signature[HUE_BINS] += (0.299 * r + 0.587 * g + 0.114 * b) / pixels;
  }
  return signature;
}
