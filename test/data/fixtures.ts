import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

export async function makeTempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gramlens-data-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** An 8-bit image from raw interleaved values; `format` picks the encoder. */
export async function encodeImage(
  pixels: number[],
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4,
  format: 'png' | 'jpeg' | 'tiff' | 'webp' = 'png',
): Promise<Buffer> {
  const image = sharp(Buffer.from(pixels), { raw: { width, height, channels } });
  if (format === 'jpeg') return image.jpeg({ quality: 95 }).toBuffer();
  if (format === 'tiff') return image.tiff({ compression: 'lzw' }).toBuffer();
  if (format === 'webp') return image.webp({ lossless: true }).toBuffer();
  return image.png().toBuffer();
}

/** Writes a small PNG (solid colour) at root/relative, creating folders. */
export async function writeSolidPng(file: string, rgb: [number, number, number] = [120, 60, 200]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, await encodeImage([...rgb, ...rgb, ...rgb, ...rgb], 2, 2, 3));
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A 16-bit greyscale PNG written byte by byte (sharp cannot encode one from raw input). */
export function grey16Png(width: number, height: number, values: number[]): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 16; // bit depth
  header[9] = 0; // greyscale
  const stride = 1 + width * 2;
  const scanlines = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) scanlines.writeUInt16BE(values[y * width + x], y * stride + 1 + x * 2);
  }
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(scanlines)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}
