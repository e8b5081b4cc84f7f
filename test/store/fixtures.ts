import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { createRng } from '../../src/util/index.ts';

export function tempDir(prefix = 'gramlens-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A small solid-colour PNG; different `shade`s give different images. */
export function pngImage(shade: number, width = 16, height = 12): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: shade % 256, g: (shade * 7) % 256, b: (shade * 13) % 256 } } })
    .png()
    .toBuffer();
}

export function jpegImage(width = 64, height = 32): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 180, g: 40, b: 90 } } })
    .jpeg()
    .toBuffer();
}

/** A 64×32 JPEG with EXIF GPS tags, a camera model and orientation 6 (display rotated 90° clockwise). */
export function jpegWithGpsExif(): Promise<Buffer> {
  return sharp({ create: { width: 64, height: 32, channels: 3, background: { r: 20, g: 120, b: 220 } } })
    .jpeg()
    .withExif({
      IFD0: { Make: 'PhoneMaker', Model: 'SecretPhone 9' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 28/1 4000/100', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 3900/100' },
    })
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData) >>> 0);
  return Buffer.concat([length, typeAndData, crc]);
}

/**
 * A valid 1-bit greyscale PNG of width × height pixels whose pixel data compresses to a few tens
 * of kilobytes: a decompression bomb (20000 × 20000 = 400 megapixels from ~50 KB).
 */
export function decompressionBombPng(width = 20_000, height = 20_000): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 1; // bit depth
  header[9] = 0; // greyscale
  const rowBytes = 1 + Math.ceil(width / 8); // filter byte + packed pixels
  const pixels = deflateSync(Buffer.alloc(rowBytes * height), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', pixels),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export const SVG_AS_JPEG = Buffer.from(
  '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>',
);

export const HTML_AS_JPEG = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>');

/** Strings that would break naive SQL, HTML or CSV handling; each must come back byte for byte. */
export const NASTY_STRINGS = [
  "Robert'); DROP TABLE users;--",
  '" OR 1=1 --',
  "'; DELETE FROM predictions WHERE ''='",
  '<script>alert("x")</script>',
  '=HYPERLINK("http://evil.example","click")',
  '%s %x \\ 💥 naïve',
] as const;

/** 64 KB of seeded pseudo-random bytes, the same for the same seed in every process. */
export function seededBlob(seed: number, bytes = 64 * 1024): Buffer {
  const rng = createRng(seed + 1);
  const blob = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) blob[i] = rng.int(256);
  return blob;
}
