import { SHARED_DATASETS } from '../shared-data.ts';
import { existsSync } from 'node:fs';
import { readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImageDecodeError, type ResizePolicy, decodeImage, loadImages, readFolderDataset } from '../../src/data/index.ts';
import { encodeImage, grey16Png, makeTempDir } from './fixtures.ts';

let dir: string;
let cleanup: () => Promise<void>;
let files: string[];
const policy: ResizePolicy = { size: [8, 8], channels: 3, fit: 'cover' };

beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir());
  files = [];
  for (let i = 0; i < 4; i++) {
    const file = path.join(dir, `img${i}.png`);
    const pixels = Array.from({ length: 12 * 10 * 3 }, (_, k) => (k * 7 + i * 40) % 256);
    await writeFile(file, await encodeImage(pixels, 12, 10, 3));
    files.push(file);
  }
});
afterEach(() => cleanup());

describe('loadImages', () => {
  it('decodes in sample order, skips unreadable files with reasons and reports progress', async () => {
    const broken = path.join(dir, 'broken.png');
    await writeFile(broken, 'not a png');
    const samples = [files[0], broken, files[1], path.join(dir, 'missing.png'), files[2]].map((p, i) => ({ path: p, id: i }));
    const progress: number[] = [];
    const result = await loadImages(samples, policy, { onProgress: (done, total) => progress.push(done / total), concurrency: 2 });
    expect(result.samples.map((s) => s.id)).toEqual([0, 2, 4]);
    expect(result.images).toHaveLength(3);
    expect(result.skipped.map((s) => path.basename(s.path))).toEqual(['broken.png', 'missing.png']);
    expect(result.skipped[0].reason).toMatch(/unsupported image format/);
    expect(progress).toHaveLength(5);
    expect(progress.at(-1)).toBe(1);
    expect(result.images[1].data).toEqual((await decodeImage(files[1], policy)).data);
    expect([result.decoded, result.fromCache]).toEqual([3, 0]);
  });

  it('throws the first ImageDecodeError in strict mode', async () => {
    const broken = path.join(dir, 'broken.png');
    await writeFile(broken, 'not a png');
    const samples = [files[0], broken].map((p) => ({ path: p }));
    await expect(loadImages(samples, policy, { strict: true })).rejects.toBeInstanceOf(ImageDecodeError);
  });

  it('serves a second run from the cache, with identical values, and re-decodes a changed file', async () => {
    const cacheDir = path.join(dir, 'cache');
    const samples = files.map((p) => ({ path: p }));
    const first = await loadImages(samples, policy, { cacheDir });
    expect([first.decoded, first.fromCache]).toEqual([4, 0]);
    expect((await readdir(cacheDir)).filter((f) => f.endsWith('.bin'))).toHaveLength(4);

    const second = await loadImages(samples, policy, { cacheDir });
    expect([second.decoded, second.fromCache]).toEqual([0, 4]);
    second.images.forEach((image, i) => expect(image).toEqual(first.images[i]));

    const otherPolicy = await loadImages(samples, { ...policy, fit: 'fill' }, { cacheDir });
    expect(otherPolicy.decoded).toBe(4);

    const later = new Date(Date.now() + 5000);
    await utimes(files[0], later, later);
    const afterTouch = await loadImages(samples, policy, { cacheDir });
    expect([afterTouch.decoded, afterTouch.fromCache]).toEqual([1, 3]);
  });

  it('rebuilds a corrupt cache entry instead of trusting it, and caches 16-bit images losslessly', async () => {
    const cacheDir = path.join(dir, 'cache');
    const deep = path.join(dir, 'xray.png');
    await writeFile(deep, grey16Png(2, 2, [0, 1, 30000, 65535]));
    const grey: ResizePolicy = { size: [2, 2], channels: 1, fit: 'fill' };
    const first = await loadImages([{ path: deep }], grey, { cacheDir });
    const [entry] = await readdir(cacheDir);
    expect((await readFile(path.join(cacheDir, entry))).length).toBe(20 + 4 * 2);
    await writeFile(path.join(cacheDir, entry), 'garbage');
    const second = await loadImages([{ path: deep }], grey, { cacheDir });
    expect(second.decoded).toBe(1);
    expect(second.images[0]).toEqual(first.images[0]);
    const third = await loadImages([{ path: deep }], grey, { cacheDir });
    expect(third.fromCache).toBe(1);
    expect(Array.from(third.images[0].data, (v) => Math.round(v * 65535))).toEqual([0, 1, 30000, 65535]);
  });

  it('rejects a bad policy or concurrency up front', async () => {
    await expect(loadImages([], { size: [1, 1], channels: 4 as 3, fit: 'fill' })).rejects.toThrow('Channels must be 1 or 3');
    await expect(loadImages([], policy, { concurrency: 0 })).rejects.toThrow('concurrency must be a positive integer');
  });
});

const clinical = path.join(SHARED_DATASETS, 'gramstainr', 'clinical');
describe.skipIf(!existsSync(clinical))('loadImages on GramStainR photographs (real data)', () => {
  it('decodes 3264×1840 microscope JPEGs to the policy shape, then serves them from the cache', async () => {
    const samples = (await readFolderDataset(clinical)).samples.filter((_, i) => i % 25 === 0);
    const cacheDir = path.join(dir, 'cache');
    const first = await loadImages(samples, { size: [32, 48], channels: 3, fit: 'cover' }, { cacheDir });
    expect(first.skipped).toEqual([]);
    expect(first.images.map((img) => [img.height, img.width, img.channels])).toEqual(samples.map(() => [32, 48, 3]));
    const second = await loadImages(samples, { size: [32, 48], channels: 3, fit: 'cover' }, { cacheDir });
    expect(second.fromCache).toBe(samples.length);
    expect(second.images).toEqual(first.images);
  });
});
