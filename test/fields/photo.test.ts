import { join } from 'node:path';
import { SHARED_DATASETS } from '../shared-data.ts';
import { existsSync, readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { processPhoto } from '../../src/fields/index.ts';
import { generateField } from '../../src/synth/index.ts';

async function jpegOf(rgb: Uint8Array, width: number, height: number, options: { resize?: [number, number]; orientation?: number } = {}): Promise<Buffer> {
  let image = sharp(Buffer.from(rgb), { raw: { width, height, channels: 3 } });
  if (options.resize) image = image.resize(options.resize[0], options.resize[1]);
  if (options.orientation) image = image.withMetadata({ orientation: options.orientation });
  return image.jpeg({ quality: 90 }).toBuffer();
}

describe('processPhoto', () => {
  const field = generateField({ label: 'gpc_clusters', seed: 8, width: 800, height: 600, pxPerUm: 6 });

  it('decodes, applies the EXIF orientation, checks quality and tiles the field at the model scale', async () => {
    // Stored sideways with "rotate 90° clockwise to display": the displayed photo is 800 x 600 again.
    const sideways = await sharp(Buffer.from(field.rgb), { raw: { width: 800, height: 600, channels: 3 } }).rotate(-90).raw().toBuffer();
    const bytes = await jpegOf(new Uint8Array(sideways), 600, 800, { orientation: 6 });
    const result = await processPhoto(bytes, { tileSizePx: 64, targetPxPerUm: 4, sourcePxPerUm: 6 });
    expect([result.width, result.height]).toEqual([800, 600]);
    expect(result.quality.ok).toBe(true);
    const fov = result.quality.fov!;
    expect(Math.hypot(fov.cx - field.eyepiece.cx, fov.cy - field.eyepiece.cy)).toBeLessThan(4);
    expect(result.scale).toBeCloseTo(4 / 6, 9);
    expect(result.tiles.length).toBeGreaterThan(10);
    for (const tile of result.tiles) {
      expect(tile.rgb).toBeInstanceOf(Float32Array);
      expect(tile.rgb.length).toBe(64 * 64 * 3);
      expect(tile.sourceSize).toBeCloseTo(96, 9);
      expect(Math.hypot(tile.x + 48 - fov.cx, tile.y + 48 - fov.cy)).toBeLessThan(fov.r);
    }
    expect(result.tiles.some((t) => !t.background)).toBe(true);
    expect(Object.keys(result.timings)).toEqual(['decodeMs', 'qualityMs', 'tilingMs', 'totalMs']);
  });

  it('estimates an unknown photo scale from the widths of its stained objects', async () => {
    // A full-size field of rods at 9 px/µm, photographed with no calibration given.
    const rods = generateField({ label: 'gnr', seed: 4, pxPerUm: 9 });
    const bytes = await jpegOf(rods.rgb, rods.width, rods.height);
    const result = await processPhoto(bytes, { tileSizePx: 64, targetPxPerUm: 6, estimateSourceScale: true });
    expect(result.sourcePxPerUm?.estimated).toBe(true);
    expect(result.sourcePxPerUm!.value).toBeGreaterThan(9 * 0.7);
    expect(result.sourcePxPerUm!.value).toBeLessThan(9 * 1.3);
    expect(result.scale).toBeCloseTo(6 / result.sourcePxPerUm!.value, 9);
    const given = await processPhoto(bytes, { tileSizePx: 64, targetPxPerUm: 6, sourcePxPerUm: 9, estimateSourceScale: true });
    expect(given.sourcePxPerUm).toEqual({ value: 9, estimated: false });
  });

  const paleRods = join(SHARED_DATASETS, 'gramstainr', 'dibas', 'Bacteroides_fragilis', 'Bfragilis0002.jpg');
  it.skipIf(!existsSync(paleRods))('keeps the tiles of pale pink rods on a yellowish background (real DIBaS photo)', async () => {
    const result = await processPhoto(readFileSync(paleRods), { tileSizePx: 96 });
    expect(result.quality.ok).toBe(true);
    expect(result.tiles.length).toBeGreaterThan(400);
    // Rods cover most of this photo: only a few tiles are bare glass.
    expect(result.tiles.filter((t) => t.background).length / result.tiles.length).toBeLessThan(0.05);
  });

  it('returns no tiles when there is no field of view', async () => {
    const dark = new Uint8Array(320 * 240 * 3).fill(3);
    const result = await processPhoto(await jpegOf(dark, 320, 240), { tileSizePx: 64 });
    expect(result.quality.reasons).toContain('no field of view');
    expect(result.tiles).toEqual([]);
    expect(result.fill).toBeNull();
  });

  it('takes a 12-megapixel photo from bytes to tiles in well under a few seconds', async () => {
    // The synthetic field blown up 5x: a 4000 x 3000 JPEG at 30 px/µm, tiled for a 96 px model at 9 px/µm.
    const bytes = await jpegOf(field.rgb, 800, 600, { resize: [4000, 3000] });
    const result = await processPhoto(bytes, { tileSizePx: 96, targetPxPerUm: 9, sourcePxPerUm: 30 });
    console.log('12 MP photo timings (ms):', Object.fromEntries(Object.entries(result.timings).map(([k, v]) => [k, Math.round(v)])), `${result.tiles.length} tiles`);
    expect([result.width, result.height]).toEqual([4000, 3000]);
    expect(result.quality.fov).not.toBeNull();
    expect(result.tiles.length).toBeGreaterThan(50);
    // A loose bound for a busy two-core machine; the measured time is in the log line above.
    expect(result.timings.totalMs).toBeLessThan(5000);
  });
});
