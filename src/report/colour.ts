/** The confusion matrix's shading: a white → dark blue ramp, with text that stays readable on it. */

type Rgb = readonly [number, number, number];

/**
 * White, then ColorBrewer "Blues" (light to darkest, #08306b). Interpolating through its stops
 * keeps mid values clearly blue; a straight white → navy line turns them grey.
 */
const RAMP_STOPS: readonly Rgb[] = [
  [255, 255, 255],
  [222, 235, 247],
  [198, 219, 239],
  [158, 202, 225],
  [107, 174, 214],
  [66, 146, 198],
  [33, 113, 181],
  [8, 81, 156],
  [8, 48, 107],
];

/** Colour for t in [0, 1] (clamped; NaN gives white) as "#rrggbb". */
export function colourRamp(t: number): string {
  const clamped = Number.isNaN(t) ? 0 : Math.min(1, Math.max(0, t));
  const position = clamped * (RAMP_STOPS.length - 1);
  const lower = Math.min(Math.floor(position), RAMP_STOPS.length - 2);
  const fraction = position - lower;
  const mix = (channel: 0 | 1 | 2) => Math.round(RAMP_STOPS[lower][channel] + (RAMP_STOPS[lower + 1][channel] - RAMP_STOPS[lower][channel]) * fraction);
  return rgbToHex([mix(0), mix(1), mix(2)]);
}

/** WCAG relative luminance of "#rrggbb", 0 (black) to 1 (white). */
export function relativeLuminance(hex: string): number {
  const [r, g, b] = hexToRgb(hex).map((channel) => {
    const c = channel / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Black or white, whichever has the higher WCAG contrast against the background. */
export function textColourFor(background: string): '#000000' | '#ffffff' {
  const luminance = relativeLuminance(background);
  const contrastWithBlack = (luminance + 0.05) / 0.05;
  const contrastWithWhite = 1.05 / (luminance + 0.05);
  return contrastWithBlack >= contrastWithWhite ? '#000000' : '#ffffff';
}

function hexToRgb(hex: string): Rgb {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!match) throw new Error(`not a #rrggbb colour: ${hex}`);
  return [parseInt(match[1], 16), parseInt(match[2], 16), parseInt(match[3], 16)];
}

function rgbToHex(rgb: Rgb): string {
  return `#${rgb.map((channel) => channel.toString(16).padStart(2, '0')).join('')}`;
}
