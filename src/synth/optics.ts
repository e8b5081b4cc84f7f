import type { Rng } from '../util/index.ts';
import { deviceById } from './devices.ts';
import { jpegRoundTrip } from './jpeg.ts';
import { fractalNoise, smoothField } from './noise.ts';
import type { Canvas } from './raster.ts';
import type { Point } from './shapes.ts';
import { DEFAULT_VIGNETTING, type FieldConditions, type Specimen } from './specimen.ts';

/** The circular field stop of the eyepiece as the phone sees it, in image pixels. */
export interface Eyepiece {
  cx: number;
  cy: number;
  radius: number;
}

export interface DevelopOptions {
  px: number;
  /** Where the canvas sits on the slide, in µm (for the illumination pattern). */
  originUm: Point;
  specimen: Specimen;
  field: FieldConditions;
  eyepiece: Eyepiece | null;
  rng: Rng;
}

/** Brightness of the sensor pixel for white paper: a little below clipping, as phones expose. */
const WHITE_LEVEL = 246;
/** Light leaking outside the eyepiece circle. */
const OUTSIDE_LEVEL = 0.015;

function gaussianKernel(sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float32Array(2 * radius + 1);
  for (let i = -radius; i <= radius; i++) kernel[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  const sum = kernel.reduce((a, b) => a + b, 0);
  return kernel.map((v) => v / sum);
}

/**
 * Convolves `count` RGB pixels spaced `stride` values apart (a row or a column of an interleaved
 * image) with a kernel, edges clamped, through a padded line buffer.
 */
function convolveLine(image: Float32Array, start: number, stride: number, count: number, kernel: Float32Array, line: Float32Array): void {
  const radius = (kernel.length - 1) / 2;
  for (let i = -radius; i < count + radius; i++) {
    const src = start + Math.min(count - 1, Math.max(0, i)) * stride;
    const dst = (i + radius) * 3;
    line[dst] = image[src];
    line[dst + 1] = image[src + 1];
    line[dst + 2] = image[src + 2];
  }
  for (let i = 0; i < count; i++) {
    let r = 0;
    let g = 0;
    let b = 0;
    for (let k = 0, j = i * 3; k < kernel.length; k++, j += 3) {
      const w = kernel[k];
      r += w * line[j];
      g += w * line[j + 1];
      b += w * line[j + 2];
    }
    const dst = start + i * stride;
    image[dst] = r;
    image[dst + 1] = g;
    image[dst + 2] = b;
  }
}

/** Separable Gaussian blur of an interleaved RGB image, in place. */
function gaussianBlur(image: Float32Array, width: number, height: number, sigma: number): void {
  if (sigma < 0.25) return;
  const kernel = gaussianKernel(sigma);
  const line = new Float32Array((Math.max(width, height) + kernel.length) * 3);
  for (let y = 0; y < height; y++) convolveLine(image, y * width * 3, 3, width, kernel, line);
  for (let x = 0; x < width; x++) convolveLine(image, x * 3, width * 3, height, kernel, line);
}

/** Relative light reaching each pixel: uneven illumination and dust in the light path (both smooth). */
function lightField(width: number, height: number, options: DevelopOptions, specks: readonly Speck[]): Float32Array {
  const { px, originUm, field } = options;
  return smoothField(width, height, Math.max(2, Math.round(px)), (x, y) => {
    const u = originUm.x + x / px;
    const v = originUm.y + y / px;
    let light = field.exposure * (1 + field.unevenLight * (2 * fractalNoise(u / 70, v / 70, field.seed, 2) - 1));
    for (const s of specks) light *= 1 - s.depth * Math.exp(-((x - s.x) ** 2 + (y - s.y) ** 2) / (s.radius * s.radius));
    return light;
  });
}

/** Transmission of the eyepiece field stop: slight fall-off inside, a soft edge, nearly dark outside. */
function eyepieceTransmission(x: number, y: number, eyepiece: Eyepiece, falloff: number): number {
  const r = Math.hypot(x + 0.5 - eyepiece.cx, y + 0.5 - eyepiece.cy) / eyepiece.radius;
  const edge = Math.min(1, Math.max(0, (1 - r) / 0.025));
  return OUTSIDE_LEVEL + ((1 - falloff * r * r) - OUTSIDE_LEVEL) * edge * edge * (3 - 2 * edge);
}

/** Zero-mean, unit-sd triangular noise (sum of two uniforms): cheap, and enough for sensor noise. */
function roughNormal(rng: Rng): number {
  return (rng.next() + rng.next() - 1) * Math.sqrt(6);
}

/** WHITE_LEVEL * t^gamma tabulated for t in [0, 2]. */
function toneCurve(gamma: number): (t: number) => number {
  const steps = 1024;
  const table = Float32Array.from({ length: steps + 2 }, (_, i) => WHITE_LEVEL * ((2 * i) / steps) ** gamma);
  return (t) => {
    const f = Math.min(steps, Math.max(0, t * (steps / 2)));
    const i = Math.floor(f);
    return table[i] + (table[i + 1] - table[i]) * (f - i);
  };
}

/** Out-of-focus dust on the optics: faint soft grey spots. */
interface Speck {
  x: number;
  y: number;
  radius: number;
  depth: number;
}

function sampleSpecks(rng: Rng, width: number, height: number, px: number, strength: number): Speck[] {
  const expected = (width * height) / (px * px) / 4000;
  const count = rng.chance(Math.min(1, expected)) ? 1 + rng.int(Math.ceil(expected)) : 0;
  return Array.from({ length: count }, () => ({
    x: rng.uniform(0, width),
    y: rng.uniform(0, height),
    radius: rng.uniform(2, 6) * px,
    depth: rng.uniform(0.03, 0.12) * strength,
  }));
}

/**
 * Turns painted optical density into a phone photo: transmission, focus blur (stronger towards the
 * edge of the eyepiece), illumination, lamp and device colour, tone curve, sensor noise, JPEG.
 */
export function develop(canvas: Canvas, options: DevelopOptions): Uint8Array {
  const { width, height, od } = canvas;
  const { px, specimen, field, eyepiece, rng } = options;
  const n = width * height;
  const image = new Float32Array(n * 3);
  // A faint or strong stain scales every optical density of the slide.
  const strength = specimen.stainStrength ?? 1;
  for (let i = 0; i < n * 3; i++) image[i] = Math.exp(-od[i] * strength);

  const sigma = field.blurUm * px;
  if (eyepiece && sigma > 0) {
    const sharp = image.slice();
    gaussianBlur(sharp, width, height, sigma);
    gaussianBlur(image, width, height, sigma * 1.8);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const t = Math.min(1, (Math.hypot(x - eyepiece.cx, y - eyepiece.cy) / eyepiece.radius) ** 2);
        for (let c = 0, i = (y * width + x) * 3; c < 3; c++) image[i + c] = sharp[i + c] + (image[i + c] - sharp[i + c]) * t;
      }
    }
  } else {
    gaussianBlur(image, width, height, sigma);
  }

  const device = deviceById(specimen.device);
  const cast = specimen.castStrength;
  const tint = specimen.tint ?? [1, 1, 1];
  const gain = [0, 1, 2].map((c) => specimen.lamp[c] * tint[c] * device.whiteBalance[c] ** cast);
  const flare = field.flare ?? 0;
  const falloff = field.vignetting ?? DEFAULT_VIGNETTING;
  const saturation = 1 + (device.saturation - 1) * cast;
  const gamma = 1 + (device.gamma - 1) * cast;
  const specks = sampleSpecks(rng, width, height, px, field.unevenLight > 0 ? 1 : 0);
  const lightMap = lightField(width, height, options, specks);
  const noise = field.sensorNoise * 255;
  const curve = toneCurve(gamma);
  // Phone sensor noise: fine luminance grain per pixel, coarser colour blotches per 2x2 block.
  const chromaWidth = Math.ceil(width / 2);
  const chroma = noise > 0 ? Float32Array.from({ length: chromaWidth * Math.ceil(height / 2) * 2 }, () => 0.6 * roughNormal(rng)) : new Float32Array(0);
  const tone = (value: number, luma: number): number => curve(luma + saturation * (value - luma));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const light = eyepiece ? lightMap[p] * eyepieceTransmission(x, y, eyepiece, falloff) : lightMap[p];
      const i = p * 3;
      // Veiling glare: stray light of the glass's colour over the whole image.
      const r = (image[i] * (1 - flare) + flare) * light * gain[0];
      const g = (image[i + 1] * (1 - flare) + flare) * light * gain[1];
      const b = (image[i + 2] * (1 - flare) + flare) * light * gain[2];
      const luma = 0.3 * r + 0.59 * g + 0.11 * b;
      image[i] = tone(r, luma);
      image[i + 1] = tone(g, luma);
      image[i + 2] = tone(b, luma);
      if (noise > 0) {
        const grain = roughNormal(rng);
        const b = ((y >> 1) * chromaWidth + (x >> 1)) * 2;
        const red = chroma[b];
        const blue = chroma[b + 1];
        image[i] += noise * Math.sqrt(image[i] / 255 + 0.02) * (grain + red);
        image[i + 1] += noise * Math.sqrt(image[i + 1] / 255 + 0.02) * (grain - 0.5 * (red + blue));
        image[i + 2] += noise * Math.sqrt(image[i + 2] / 255 + 0.02) * (grain + blue);
      }
    }
  }

  if (field.jpegQuality !== null) {
    jpegRoundTrip(image, width, height, {
      quality: field.jpegQuality,
      chromaSubsampling: device.chromaSubsampling,
      offsetX: eyepiece ? 0 : rng.int(8),
      offsetY: eyepiece ? 0 : rng.int(8),
    });
  }
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n * 3; i++) out[i] = Math.min(255, Math.max(0, Math.round(image[i])));
  return out;
}
