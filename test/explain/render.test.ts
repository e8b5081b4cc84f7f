import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  applyColourMap,
  COLOUR_MAPS,
  heatmapToFloat32Bytes,
  heatmapToJson,
  normaliseHeatmap,
  overlayHeatmap,
  renderOverlayPng,
  upsampleBilinear,
  type Heatmap,
  type RgbImage,
} from '../../src/explain/index.ts';

const rgbAt = (table: Uint8Array, i: number) => Array.from(table.subarray(i * 3, i * 3 + 3));

/** CIE L* of an sRGB byte triple. */
function lightness([r, g, b]: number[]): number {
  const linear = (c: number) => (c / 255 <= 0.04045 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
  const y = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  return y > 216 / 24389 ? 116 * Math.cbrt(y) - 16 : (24389 / 27) * y;
}

function gradientImage(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set([(i * 7) % 256, (i * 13) % 256, (i * 29) % 256], i * 3);
  return { data, width, height };
}

describe('colour maps', () => {
  it('have 256 entries with the reference endpoints', () => {
    expect(COLOUR_MAPS.viridis.length).toBe(768);
    expect(rgbAt(COLOUR_MAPS.viridis, 0)).toEqual([0x44, 0x01, 0x54]);
    expect(rgbAt(COLOUR_MAPS.viridis, 255)).toEqual([0xfd, 0xe7, 0x25]);
    expect(rgbAt(COLOUR_MAPS.turbo, 0)).toEqual([0x30, 0x12, 0x3b]);
    expect(rgbAt(COLOUR_MAPS.turbo, 255)).toEqual([0x7a, 0x04, 0x03]);
  });

  it('viridis rises in lightness from end to end (up to 8-bit rounding)', () => {
    const l = Array.from({ length: 256 }, (_, i) => lightness(rgbAt(COLOUR_MAPS.viridis, i)));
    for (let i = 1; i < 256; i++) expect(l[i] - l[i - 1]).toBeGreaterThan(-0.05); // two steps dip by 0.03 L* after rounding
    for (let i = 4; i < 256; i++) expect(l[i]).toBeGreaterThan(l[i - 4]);
    expect(l[255] - l[0]).toBeGreaterThan(70);
  });

  it('maps 0, 1 and out-of-range values to the ends', () => {
    const rgb = applyColourMap(new Float32Array([0, 1, -3, 7, Number.NaN, 0.5]), 'viridis');
    expect(rgbAt(rgb, 0)).toEqual(rgbAt(COLOUR_MAPS.viridis, 0));
    expect(rgbAt(rgb, 1)).toEqual(rgbAt(COLOUR_MAPS.viridis, 255));
    expect(rgbAt(rgb, 2)).toEqual(rgbAt(COLOUR_MAPS.viridis, 0));
    expect(rgbAt(rgb, 3)).toEqual(rgbAt(COLOUR_MAPS.viridis, 255));
    expect(rgbAt(rgb, 4)).toEqual(rgbAt(COLOUR_MAPS.viridis, 0));
    expect(rgbAt(rgb, 5)).toEqual(rgbAt(COLOUR_MAPS.viridis, 128));
    expect(() => applyColourMap(new Float32Array(1), 'jet' as never)).toThrow('unknown colour map "jet"; choose one of: viridis, turbo');
  });
});

describe('heatmap resampling and scaling', () => {
  it('upsampling a constant gives the constant', () => {
    const up = upsampleBilinear({ map: new Float32Array(12).fill(0.37), height: 3, width: 4 }, 29, 17);
    expect([up.height, up.width, up.map.length]).toEqual([29, 17, 29 * 17]);
    up.map.forEach((v) => expect(v).toBeCloseTo(0.37, 6));
  });

  it('interpolates between pixel centres and clamps at the edges', () => {
    const up = upsampleBilinear({ map: new Float32Array([0, 1]), height: 1, width: 2 }, 2, 4);
    expect(Array.from(up.map)).toEqual([0, 0.25, 0.75, 1, 0, 0.25, 0.75, 1]);
    const same = upsampleBilinear({ map: new Float32Array([1, 2, 3, 4]), height: 2, width: 2 }, 2, 2);
    expect(Array.from(same.map)).toEqual([1, 2, 3, 4]);
  });

  it('normalises to [0, 1], a constant map to zeros', () => {
    expect(Array.from(normaliseHeatmap({ map: new Float32Array([2, 4, 6]), height: 1, width: 3 }).map)).toEqual([0, 0.5, 1]);
    expect(Array.from(normaliseHeatmap({ map: new Float32Array([5, 5]), height: 1, width: 2 }).map)).toEqual([0, 0]);
  });

  it('serialises as JSON and as little-endian Float32 bytes', () => {
    const heatmap: Heatmap = { map: new Float32Array([0.1, 2, -0.5, 1 / 3, 0, 7]), height: 2, width: 3 };
    const json = JSON.parse(JSON.stringify(heatmapToJson(heatmap)));
    expect(json).toEqual({ width: 3, height: 2, values: [0.1, 2, -0.5, 0.333333, 0, 7] });
    const bytes = heatmapToFloat32Bytes(heatmap);
    expect(bytes.length).toBe(24);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    heatmap.map.forEach((v, i) => expect(view.getFloat32(i * 4, true)).toBe(v));
    expect(() => heatmapToJson({ map: new Float32Array(5), height: 2, width: 3 })).toThrow('heatmap has 5 values, expected 2 × 3 = 6');
  });
});

describe('overlay', () => {
  const image = gradientImage(10, 6);
  const heatmap: Heatmap = { map: new Float32Array([0, 1, 2, 3, 4, 5]), height: 2, width: 3 };

  it('alpha 0 is the image; alpha 1 is the colour-mapped, upsampled, normalised map', () => {
    expect(overlayHeatmap(image, heatmap, { alpha: 0 }).data).toEqual(image.data);
    const colours = overlayHeatmap(image, heatmap, { alpha: 1, colormap: 'turbo' });
    const expected = applyColourMap(normaliseHeatmap(upsampleBilinear(heatmap, 6, 10)).map, 'turbo');
    expect(colours.data).toEqual(expected);
  });

  it('blends linearly in between', () => {
    const half = overlayHeatmap(image, heatmap, { alpha: 0.5 });
    const colours = overlayHeatmap(image, heatmap, { alpha: 1 });
    half.data.forEach((v, i) => expect(Math.abs(v - (image.data[i] + colours.data[i]) / 2)).toBeLessThanOrEqual(0.5));
    expect(() => overlayHeatmap(image, heatmap, { alpha: 1.5 })).toThrow('alpha must be in [0, 1], got 1.5');
  });

  it('renders a PNG over an encoded photo, optionally shrunk', async () => {
    const photo = gradientImage(40, 30);
    const png = await sharp(photo.data, { raw: { width: 40, height: 30, channels: 3 } }).png().toBuffer();
    const rendered = await renderOverlayPng(png, heatmap, { alpha: 0 });
    const decoded = await sharp(rendered).raw().toBuffer({ resolveWithObject: true });
    expect([decoded.info.width, decoded.info.height, decoded.info.channels]).toEqual([40, 30, 3]);
    expect(new Uint8Array(decoded.data)).toEqual(photo.data);
    const small = await sharp(await renderOverlayPng(photo, heatmap, { maxSide: 20 })).metadata();
    expect([small.width, small.height, small.format]).toEqual([20, 15, 'png']);
  });
});
