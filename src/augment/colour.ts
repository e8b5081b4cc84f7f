import type { RawImage } from '../data/index.ts';
import { clamp01, emptyLike } from './image.ts';

/*
 * Why the colour jitter is bounded: the Gram reaction is read from colour (crystal violet =
 * positive, safranin pink = negative), so an augmentation that moves one towards the other
 * teaches the model a wrong label. Hence no hue rotation at all. Saturation
 * (v ↦ grey + s·(v − grey), s > 0) and brightness (v ↦ b·v, b > 0) scale B − R by a positive
 * number and cannot change its sign. Only the per-channel gains can: B·gB > R·gR still holds
 * whenever B/R > (1 + g)/(1 − g) for gains in [1 − g, 1 + g]. The hard limit g ≤ 0.1 gives 1.22,
 * so violet rgb(0.35, 0.2, 0.55) (B/R = 1.57) and pink rgb(0.85, 0.4, 0.6) (R/B = 1.42) never
 * cross over. Real photographs are less clear-cut (white balance shifts both stains towards blue),
 * so the presets use g = 0.05 (ratio change at most 1.105). Clamping to 1 can make B and R equal
 * (both saturate to white) but never swaps them.
 */
export const GRAM_SAFE_LIMITS = { brightness: 0.2, saturation: 0.3, channelGain: 0.1 } as const;

export interface ColourJitterAmounts {
  /** Multiplies every value; within 1 ± brightness limit. */
  brightness: number;
  /** 0 = grey, 1 = unchanged; within 1 ± saturation limit. */
  saturation: number;
  /** Per-channel multipliers [R, G, B]; each within 1 ± channelGain limit. */
  gains: readonly [number, number, number];
}

function requireWithin(name: string, value: number, limit: number): void {
  if (!(Math.abs(value - 1) <= limit + 1e-9)) {
    throw new Error(`Colour jitter ${name} ${value} is outside 1 ± ${limit}, the bound that keeps Gram colours readable`);
  }
}

/** Applies a Gram-safe colour change; grey images only get the brightness factor. */
export function colourJitter(image: RawImage, amounts: ColourJitterAmounts): RawImage {
  const { brightness, saturation, gains } = amounts;
  requireWithin('brightness', brightness, GRAM_SAFE_LIMITS.brightness);
  requireWithin('saturation', saturation, GRAM_SAFE_LIMITS.saturation);
  gains.forEach((gain) => requireWithin('channel gain', gain, GRAM_SAFE_LIMITS.channelGain));
  const out = emptyLike(image);
  const source = image.data;
  if (image.channels !== 3) {
    for (let i = 0; i < source.length; i++) out.data[i] = clamp01(source[i] * brightness);
    return out;
  }
  const [gainR, gainG, gainB] = gains;
  for (let i = 0; i < source.length; i += 3) {
    const r = source[i] * gainR;
    const g = source[i + 1] * gainG;
    const b = source[i + 2] * gainB;
    const grey = 0.299 * r + 0.587 * g + 0.114 * b;
    out.data[i] = clamp01((grey + saturation * (r - grey)) * brightness);
    out.data[i + 1] = clamp01((grey + saturation * (g - grey)) * brightness);
    out.data[i + 2] = clamp01((grey + saturation * (b - grey)) * brightness);
  }
  return out;
}
