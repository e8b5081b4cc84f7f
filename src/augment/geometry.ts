import type { RawImage } from '../data/index.ts';
import { emptyLike, reflectIndex } from './image.ts';

export function flipHorizontal(image: RawImage): RawImage {
  const { height, width, channels, data } = image;
  const out = emptyLike(image);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (y * width + (width - 1 - x)) * channels;
      const to = (y * width + x) * channels;
      for (let c = 0; c < channels; c++) out.data[to + c] = data[from + c];
    }
  }
  return out;
}

export function flipVertical(image: RawImage): RawImage {
  const { height, width, channels, data } = image;
  const out = emptyLike(image);
  const rowLength = width * channels;
  for (let y = 0; y < height; y++) {
    out.data.set(data.subarray((height - 1 - y) * rowLength, (height - y) * rowLength), y * rowLength);
  }
  return out;
}

/** Rotation by quarter turns, counter-clockwise (like numpy.rot90); odd turns swap height and width. */
export function rotate90(image: RawImage, quarterTurns: number): RawImage {
  const turns = ((Math.round(quarterTurns) % 4) + 4) % 4;
  const { height, width, channels, data } = image;
  if (turns === 0) return { ...image, data: data.slice() };
  const outHeight = turns === 2 ? height : width;
  const outWidth = turns === 2 ? width : height;
  const out = emptyLike(image, outHeight, outWidth);
  // Source offset = start + y·rowStep + x·columnStep, read off the index maps of each turn.
  const row = width * channels;
  const [start, rowStep, columnStep] =
    turns === 1
      ? [(width - 1) * channels, -channels, row]
      : turns === 2
        ? [(height - 1) * row + (width - 1) * channels, -row, -channels]
        : [(height - 1) * row, channels, -row];
  let to = 0;
  for (let y = 0; y < outHeight; y++) {
    let from = start + y * rowStep;
    for (let x = 0; x < outWidth; x++, from += columnStep) {
      for (let c = 0; c < channels; c++) out.data[to++] = data[from + c];
    }
  }
  return out;
}

/**
 * Output pixel (x, y) takes the source value at (a·x + b·y + c, d·x + e·y + f), bilinearly
 * interpolated; positions outside the image are mirrored back in. Pixel centres are integers.
 */
export type InverseAffine = readonly [a: number, b: number, c: number, d: number, e: number, f: number];

export function warpAffine(image: RawImage, [a, b, c, d, e, f]: InverseAffine): RawImage {
  const { height, width, channels, data } = image;
  const out = emptyLike(image);
  const target = out.data;
  let to = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const sx = a * x + b * y + c;
      const sy = d * x + e * y + f;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const inside = x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height;
      const left = inside ? x0 : reflectIndex(x0, width);
      const right = inside ? x0 + 1 : reflectIndex(x0 + 1, width);
      const top = inside ? y0 : reflectIndex(y0, height);
      const bottom = inside ? y0 + 1 : reflectIndex(y0 + 1, height);
      const p00 = (top * width + left) * channels;
      const p01 = (top * width + right) * channels;
      const p10 = (bottom * width + left) * channels;
      const p11 = (bottom * width + right) * channels;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      for (let ch = 0; ch < channels; ch++) {
        target[to++] = w00 * data[p00 + ch] + w01 * data[p01 + ch] + w10 * data[p10 + ch] + w11 * data[p11 + ch];
      }
    }
  }
  return out;
}

/** Free rotation about the image centre, counter-clockwise in degrees; bilinear, mirrored border. */
export function rotate(image: RawImage, degrees: number): RawImage {
  const radians = (degrees * Math.PI) / 180;
  const cos = Math.cos(radians);
  const sin = Math.sin(radians);
  const cx = (image.width - 1) / 2;
  const cy = (image.height - 1) / 2;
  return warpAffine(image, [cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy]);
}

/** Moves the content by (dy, dx) pixels (positive: down, right); mirrored border. */
export function shift(image: RawImage, dy: number, dx: number): RawImage {
  return warpAffine(image, [1, 0, -dx, 0, 1, -dy]);
}

/** Scales the content about the centre: factor > 1 zooms in, < 1 zooms out (mirrored border). */
export function zoom(image: RawImage, factor: number): RawImage {
  if (!(factor > 0)) throw new Error(`Zoom factor must be positive, got ${factor}`);
  const cx = (image.width - 1) / 2;
  const cy = (image.height - 1) / 2;
  const s = 1 / factor;
  return warpAffine(image, [s, 0, cx - s * cx, 0, s, cy - s * cy]);
}
