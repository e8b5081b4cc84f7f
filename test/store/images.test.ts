import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openStore, sniffImageFormat, type Store } from '../../src/store/index.ts';
import { describeBackends } from './backends.ts';
import { decompressionBombPng, HTML_AS_JPEG, jpegImage, jpegWithGpsExif, pngImage, SVG_AS_JPEG, tempDir } from './fixtures.ts';

describeBackends('image store', (backend) => {
  let database: string | undefined;
  let dir: ReturnType<typeof tempDir>;
  let store: Store;

  beforeEach(async () => {
    dir = tempDir();
    database = await backend.freshDatabase();
    store = await openStore({ dataDir: dir.path, database });
  });
  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  it('sniffs formats from the bytes, not the name', async () => {
    expect(sniffImageFormat(await jpegImage())).toBe('jpeg');
    expect(sniffImageFormat(await pngImage(1))).toBe('png');
    expect(sniffImageFormat(await sharp(await pngImage(1)).tiff().toBuffer())).toBe('tiff');
    expect(sniffImageFormat(await sharp(await pngImage(1)).webp().toBuffer())).toBe('webp');
    expect(sniffImageFormat(SVG_AS_JPEG)).toBeNull();
    expect(sniffImageFormat(HTML_AS_JPEG)).toBeNull();
    expect(sniffImageFormat(Buffer.from([0xff, 0xd8]))).toBeNull();
  });

  it('stores images content-addressed under images/ab/cdef… and deduplicates', async () => {
    const png = await pngImage(3);
    const image = await store.images.ingest(png);
    expect(image).toMatchObject({ format: 'png', width: 16, height: 12 });
    const path = join(dir.path, 'images', image.sha256.slice(0, 2), image.sha256.slice(2));
    expect(readFileSync(path)).toEqual(await store.images.read(image.sha256));
    expect((await store.images.ingest(png)).sha256).toBe(image.sha256);
    expect(await store.db.get('SELECT count(*) AS n FROM images')).toEqual({ n: 1 });
    expect(readdirSync(join(dir.path, 'images', '.incoming'))).toEqual([]);
  });

  it('hands back the bytes as stored (re-encoded, not as uploaded) to a caller that predicts from them', async () => {
    const upload = await jpegWithGpsExif();
    const { image, bytes } = await store.images.ingestKeepingBytes(upload);
    expect(bytes.equals(await store.images.read(image.sha256))).toBe(true);
    expect(bytes.equals(upload)).toBe(false);
    expect(image).toEqual(await store.images.require(image.sha256));
  });

  it('turns a photo upright by its EXIF orientation, then strips EXIF and GPS', async () => {
    const original = await jpegWithGpsExif();
    const before = await sharp(original).metadata();
    expect(before.exif).toBeDefined();
    expect(before.orientation).toBe(6);
    expect(original.includes(Buffer.from('SecretPhone'))).toBe(true);

    const image = await store.images.ingest(original);
    const stored = await store.images.read(image.sha256);
    const after = await sharp(stored).metadata();
    expect(after.format).toBe('jpeg');
    expect(after.exif).toBeUndefined();
    expect(after.xmp).toBeUndefined();
    expect(after.orientation).toBeUndefined();
    expect([after.width, after.height]).toEqual([32, 64]);
    expect(stored.includes(Buffer.from('SecretPhone'))).toBe(false);
    expect(stored.includes(Buffer.from('GPS'))).toBe(false);
  });

  it('stores TIFF and WebP as PNG', async () => {
    const tiff = await sharp(await pngImage(5)).tiff().toBuffer();
    expect((await store.images.ingest(tiff)).format).toBe('png');
    const webp = await sharp(await pngImage(6)).webp().toBuffer();
    expect((await store.images.ingest(webp)).format).toBe('png');
  });

  it('refuses non-images, disguised SVG/HTML, truncated files and oversized files without storing anything', async () => {
    await expect(store.images.ingest(Buffer.from('just some text'))).rejects.toMatchObject({ kind: 'unsupported-media' });
    await expect(store.images.ingest(SVG_AS_JPEG)).rejects.toMatchObject({ kind: 'unsupported-media' });
    await expect(store.images.ingest(HTML_AS_JPEG)).rejects.toMatchObject({ kind: 'unsupported-media' });
    await expect(store.images.ingest(Buffer.alloc(0))).rejects.toMatchObject({ kind: 'invalid' });
    const jpeg = await jpegImage(256, 256);
    await expect(store.images.ingest(jpeg.subarray(0, Math.floor(jpeg.length * 0.6)))).rejects.toMatchObject({ kind: 'undecodable' });
    await expect(store.images.ingest(await pngImage(1), { maxBytes: 10, maxPixels: 1e6 })).rejects.toMatchObject({ kind: 'too-large' });
    expect(await store.db.get('SELECT count(*) AS n FROM images')).toEqual({ n: 0 });
    expect(readdirSync(join(dir.path, 'images'))).toEqual(['.incoming']);
    expect(readdirSync(join(dir.path, 'images', '.incoming'))).toEqual([]);
  });

  it('rejects a 20000×20000 decompression bomb as too large', async () => {
    const bomb = decompressionBombPng();
    expect(bomb.length).toBeLessThan(200_000);
    await expect(store.images.ingest(bomb)).rejects.toMatchObject({ kind: 'too-large', message: expect.stringMatching(/20000×20000/) });
  });

  it('removes temp files left by an upload interrupted long ago, and only those', async () => {
    await store.close();
    const stale = join(dir.path, 'images', '.incoming', 'stale.part');
    const fresh = join(dir.path, 'images', '.incoming', 'fresh.part');
    writeFileSync(stale, 'half an image');
    writeFileSync(fresh, 'an upload in progress');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000);
    utimesSync(stale, twoHoursAgo, twoHoursAgo);
    store = await openStore({ dataDir: dir.path, database });
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
  });

  it('also removes those an older gramlens left in the data folder\'s tmp/, and nothing else there', async () => {
    await store.close();
    mkdirSync(join(dir.path, 'tmp'));
    const stale = join(dir.path, 'tmp', '0123abcd.part');
    const other = join(dir.path, 'tmp', 'notes.txt');
    writeFileSync(stale, 'half an image');
    writeFileSync(other, 'not ours');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000);
    utimesSync(stale, twoHoursAgo, twoHoursAgo);
    utimesSync(other, twoHoursAgo, twoHoursAgo);
    store = await openStore({ dataDir: dir.path, database });
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(other)).toBe(true);
  });

  it('never reads a file by anything but a known sha256', async () => {
    expect(await store.images.get('../../etc/passwd')).toBeNull();
    await expect(store.images.read('../../etc/passwd')).rejects.toMatchObject({ kind: 'not-found' });
  });

  it('answers a row whose file is missing from the image store with one clear line', async () => {
    const image = await store.images.ingest(await pngImage(4));
    rmSync(join(dir.path, 'images', image.sha256.slice(0, 2), image.sha256.slice(2)));
    await expect(store.images.read(image.sha256)).rejects.toMatchObject({ kind: 'not-found', message: `the file of image ${image.sha256} is missing from the image store` });
    await expect(store.images.stream(image.sha256)).rejects.toMatchObject({ kind: 'not-found' });
  });
});
