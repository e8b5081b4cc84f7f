import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImageDecodeError, type ResizePolicy, decodeImage } from '../../src/data/index.ts';
import { encodeImage, grey16Png, makeTempDir } from './fixtures.ts';

const asBytes = (values: Float32Array): number[] => Array.from(values, (v) => Math.round(v * 255));

// 3 wide × 2 high: red green blue / white black grey
const PIXELS = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 128, 128, 128];
const sameSize: ResizePolicy = { size: [2, 3], channels: 3, fit: 'fill' };

describe('decodeImage', () => {
  it('decodes PNG to HWC values in 0..1, exactly', async () => {
    const image = await decodeImage(await encodeImage(PIXELS, 3, 2, 3), sameSize);
    expect([image.height, image.width, image.channels]).toEqual([2, 3, 3]);
    expect(image.data).toBeInstanceOf(Float32Array);
    expect(asBytes(image.data)).toEqual(PIXELS);
    expect(image.data[15]).toBeCloseTo(128 / 255, 6);
  });

  it('decodes TIFF and WebP losslessly and JPEG approximately', async () => {
    for (const format of ['tiff', 'webp'] as const) {
      const image = await decodeImage(await encodeImage(PIXELS, 3, 2, 3, format), sameSize);
      expect(asBytes(image.data)).toEqual(PIXELS);
    }
    const flat = new Array(16 * 16).fill([200, 40, 90]).flat();
    const jpeg = await decodeImage(await encodeImage(flat, 16, 16, 3, 'jpeg'), { size: [8, 8], channels: 3, fit: 'fill' });
    for (let i = 0; i < jpeg.data.length; i++) expect(Math.abs(jpeg.data[i] * 255 - flat[i % 3])).toBeLessThan(4);
  });

  it('applies the EXIF orientation', async () => {
    // Orientation 6 means "rotate 90° clockwise to display".
    const png = await sharp(Buffer.from(PIXELS), { raw: { width: 3, height: 2, channels: 3 } })
      .png()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const image = await decodeImage(png, { size: [3, 2], channels: 3, fit: 'fill' });
    expect(asBytes(image.data)).toEqual([255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 255, 0, 128, 128, 128, 0, 0, 255]);
  });

  it('flattens transparency onto white', async () => {
    const rgba = [255, 0, 0, 0, 0, 0, 255, 255, 0, 0, 0, 128, 10, 20, 30, 255];
    const image = await decodeImage(await encodeImage(rgba, 2, 2, 4), { size: [2, 2], channels: 3, fit: 'fill' });
    const bytes = asBytes(image.data);
    expect(bytes.slice(0, 3)).toEqual([255, 255, 255]);
    expect(bytes.slice(3, 6)).toEqual([0, 0, 255]);
    expect(bytes.slice(6, 9).every((v) => Math.abs(v - 127) <= 1)).toBe(true);
    expect(bytes.slice(9, 12)).toEqual([10, 20, 30]);
  });

  it('expands grey to 3 channels and reduces colour to 1', async () => {
    const grey = await decodeImage(await encodeImage([0, 64, 128, 255], 2, 2, 1), { size: [2, 2], channels: 3, fit: 'fill' });
    expect(asBytes(grey.data)).toEqual([0, 0, 0, 64, 64, 64, 128, 128, 128, 255, 255, 255]);
    const colour = await decodeImage(await encodeImage(PIXELS, 3, 2, 3), { ...sameSize, channels: 1 });
    expect(colour.channels).toBe(1);
    const bytes = asBytes(colour.data);
    expect([bytes[3], bytes[4], bytes[5]]).toEqual([255, 0, 128]);
    expect(bytes[1]).toBeGreaterThan(bytes[0]); // green is brighter than red
    expect(bytes[0]).toBeGreaterThan(bytes[2]); // red is brighter than blue
  });

  it('keeps 16-bit precision of 16-bit PNGs', async () => {
    const values = [0, 7, 300, 65535];
    const image = await decodeImage(grey16Png(2, 2, values), { size: [2, 2], channels: 1, fit: 'fill' });
    expect(Array.from(image.data, (v) => Math.round(v * 65535))).toEqual(values);
    const rgb = await decodeImage(grey16Png(2, 2, values), { size: [2, 2], channels: 3, fit: 'fill' });
    expect(Array.from(rgb.data.subarray(3, 6), (v) => Math.round(v * 65535))).toEqual([7, 7, 7]);
  });

  it('resizes by fit: cover crops, contain pads with padValue, fill stretches', async () => {
    const wide = await encodeImage(new Array(8 * 4 * 3).fill(200), 8, 4, 3);
    const contain = await decodeImage(wide, { size: [4, 4], channels: 1, fit: 'contain', padValue: 1 });
    expect(asBytes(contain.data)).toEqual([255, 255, 255, 255, 200, 200, 200, 200, 200, 200, 200, 200, 255, 255, 255, 255]);
    const cover = await decodeImage(wide, { size: [4, 4], channels: 1, fit: 'cover' });
    expect(asBytes(cover.data).every((v) => v === 200)).toBe(true);
    const fill = await decodeImage(wide, { size: [6, 5], channels: 3, fit: 'fill' });
    expect([fill.height, fill.width, fill.data.length]).toEqual([6, 5, 90]);
  });

  it('throws ImageDecodeError naming the file and the reason for truncated, garbage and missing files', async () => {
    const { dir, cleanup } = await makeTempDir();
    try {
      const jpeg = await encodeImage(new Array(32 * 32 * 3).fill(90), 32, 32, 3, 'jpeg');
      const truncated = path.join(dir, 'truncated.jpg');
      await writeFile(truncated, jpeg.subarray(0, jpeg.length >> 1));
      const error = await decodeImage(truncated, sameSize).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImageDecodeError);
      expect((error as ImageDecodeError).path).toBe(truncated);
      expect((error as ImageDecodeError).message).toMatch(/^Cannot decode image .*truncated\.jpg: .*(premature end|truncated)/i);
      expect((error as Error).message).not.toContain('\n');
      await expect(decodeImage(Buffer.from('not an image'), sameSize, 'upload.png')).rejects.toThrow(
        /Cannot decode image upload\.png: .*unsupported image format/,
      );
      await expect(decodeImage(path.join(dir, 'missing.png'), sameSize)).rejects.toBeInstanceOf(ImageDecodeError);
    } finally {
      await cleanup();
    }
  });

  it('rejects a bad policy before reading anything', async () => {
    const png = await encodeImage(PIXELS, 3, 2, 3);
    await expect(decodeImage(png, { size: [0, 3], channels: 3, fit: 'fill' })).rejects.toThrow('Resize size must be two positive integers');
    await expect(decodeImage(png, { size: [2, 3], channels: 2 as 3, fit: 'fill' })).rejects.toThrow('Channels must be 1 or 3, got 2');
    await expect(decodeImage(png, { size: [2, 3], channels: 3, fit: 'stretch' as 'fill' })).rejects.toThrow('Fit must be');
  });
});
