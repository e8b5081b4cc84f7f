import sharp from 'sharp';
import { processPixels, type ProcessedPhoto, type ProcessPhotoOptions } from './process.ts';

/** Decodes a photo (JPEG, PNG, ...) to 8-bit RGB with its EXIF orientation applied. */
export async function decodePhoto(bytes: Buffer): Promise<{ rgb: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(bytes).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 channels after decoding, got ${info.channels}`);
  return { rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/** A photo's bytes through processPixels: decoded with its EXIF orientation applied, then checked and tiled. */
export async function processPhoto(bytes: Buffer, options: ProcessPhotoOptions): Promise<ProcessedPhoto> {
  const start = performance.now();
  const { rgb, width, height } = await decodePhoto(bytes);
  return processPixels(rgb, width, height, options, performance.now() - start);
}
