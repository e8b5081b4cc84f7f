import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Heatmap } from '../../src/explain/index.ts';
import { renderHeatmapOverPhoto, visibleRegion } from '../../src/inference/index.ts';
import type { InputPolicy } from '../../src/models/index.ts';

describe('visibleRegion', () => {
  it('is the centred crop of the input aspect for cover, the whole photo otherwise', () => {
    expect(visibleRegion(400, 200, 64, 64, 'cover')).toEqual({ left: 100, top: 0, width: 200, height: 200 });
    expect(visibleRegion(200, 400, 64, 32, 'cover')).toEqual({ left: 0, top: 150, width: 200, height: 100 });
    expect(visibleRegion(400, 200, 64, 64, 'fill')).toEqual({ left: 0, top: 0, width: 400, height: 200 });
    expect(visibleRegion(64, 64, 64, 64, 'cover')).toEqual({ left: 0, top: 0, width: 64, height: 64 });
  });
});

describe('renderHeatmapOverPhoto', () => {
  const input: InputPolicy = { height: 64, width: 64, channels: 3, fit: 'cover', mean: [0, 0, 0], std: [1, 1, 1] };
  const heatmap: Heatmap = { map: Float32Array.from([0, 0.5, 0.5, 1]), height: 2, width: 2 };
  const photo = () => sharp({ create: { width: 400, height: 200, channels: 3, background: { r: 200, g: 180, b: 210 } } }).png().toBuffer();
  const pixels = async (png: Buffer) => sharp(png).raw().toBuffer({ resolveWithObject: true });

  it('as a layer: the whole photo’s size, coloured over the region the model saw and clear elsewhere', async () => {
    const { data, info } = await pixels(await renderHeatmapOverPhoto(await photo(), heatmap, input, { style: 'layer', maxSide: 200 }));
    expect([info.width, info.height, info.channels]).toEqual([200, 100, 4]);
    const alphaAt = (x: number, y: number) => data[(y * info.width + x) * 4 + 3];
    expect([alphaAt(10, 50), alphaAt(190, 50)]).toEqual([0, 0]);
    expect([alphaAt(51, 1), alphaAt(100, 50), alphaAt(148, 98)]).toEqual([255, 255, 255]);
  });

  it('blended: the region the model saw, shrunk to fit, the heatmap over the photo', async () => {
    const { data, info } = await pixels(await renderHeatmapOverPhoto(await photo(), heatmap, input, { style: 'blend', maxSide: 50, alpha: 0, colormap: 'turbo' }));
    expect([info.width, info.height, info.channels]).toEqual([50, 50, 3]);
    expect(Array.from(data.subarray(0, 3))).toEqual([200, 180, 210]);
    const opaque = await pixels(await renderHeatmapOverPhoto(await photo(), heatmap, input, { style: 'blend', maxSide: 50, alpha: 1, colormap: 'turbo' }));
    expect(Array.from(opaque.data.subarray(0, 3))).not.toEqual([200, 180, 210]);
  });
});
