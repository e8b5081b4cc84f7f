import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import path from 'node:path';
import {
  type DecodedPixels,
  ImageDecodeError,
  type ResizePolicy,
  decodePixels,
  pixelsToRawImage,
  validateResizePolicy,
} from './decode.ts';
import type { RawImage } from './types.ts';

export interface LoadImagesOptions {
  /** Throw on the first unreadable image instead of skipping it. */
  strict?: boolean;
  onProgress?: (done: number, total: number) => void;
  /** Folder for decoded images; a later run with the same files and policy reads them from here. */
  cacheDir?: string;
  /** Images decoded at once. Default 4. */
  concurrency?: number;
}

export interface SkippedImage {
  path: string;
  reason: string;
}

export interface LoadImagesResult<T> {
  images: RawImage[];
  /** The samples that loaded, aligned with `images`. */
  samples: T[];
  skipped: SkippedImage[];
  decoded: number;
  fromCache: number;
}

const CACHE_MAGIC = 0x31434c47; // "GLC1"
const CACHE_HEADER_BYTES = 20;

async function cacheKey(filePath: string, policy: ResizePolicy): Promise<string> {
  const { size, mtimeMs } = await stat(filePath);
  const identity = {
    format: 1,
    endianness: endianness(),
    path: path.resolve(filePath),
    bytes: size,
    mtimeMs,
    policy: { size: policy.size, channels: policy.channels, fit: policy.fit, padValue: policy.padValue ?? 0 },
  };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

function encodeCacheEntry({ pixels, height, width, channels }: DecodedPixels): Buffer {
  const header = Buffer.alloc(CACHE_HEADER_BYTES);
  header.writeUInt32LE(CACHE_MAGIC, 0);
  header.writeUInt32LE(height, 4);
  header.writeUInt32LE(width, 8);
  header.writeUInt32LE(channels, 12);
  header.writeUInt32LE(pixels.BYTES_PER_ELEMENT, 16);
  return Buffer.concat([header, Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength)]);
}

/** The cached pixels, or null when the entry is absent or does not match the policy (then it is rebuilt). */
async function readCacheEntry(file: string, policy: ResizePolicy): Promise<DecodedPixels | null> {
  const bytes = await readFile(file).catch(() => null);
  if (!bytes || bytes.length < CACHE_HEADER_BYTES || bytes.readUInt32LE(0) !== CACHE_MAGIC) return null;
  const height = bytes.readUInt32LE(4);
  const width = bytes.readUInt32LE(8);
  const channels = bytes.readUInt32LE(12);
  const bytesPerValue = bytes.readUInt32LE(16);
  const valueCount = height * width * channels;
  const shapeMatches = height === policy.size[0] && width === policy.size[1] && channels === policy.channels;
  if (!shapeMatches || (bytesPerValue !== 1 && bytesPerValue !== 2)) return null;
  if (bytes.length !== CACHE_HEADER_BYTES + valueCount * bytesPerValue) return null;
  const body = bytes.buffer.slice(bytes.byteOffset + CACHE_HEADER_BYTES, bytes.byteOffset + bytes.length);
  const pixels = bytesPerValue === 1 ? new Uint8Array(body) : new Uint16Array(body);
  return { pixels, height, width, channels };
}

async function writeCacheEntry(file: string, pixels: DecodedPixels): Promise<void> {
  const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, encodeCacheEntry(pixels));
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw new Error(`Cannot write the image cache in ${path.dirname(file)}: ${(error as Error).message}`);
  }
}

/**
 * Decodes the samples' images with one resize policy. Unreadable images are skipped and listed
 * (or, with `strict`, the first one throws an ImageDecodeError). Results keep the sample order.
 */
export async function loadImages<T extends { path: string }>(
  samples: readonly T[],
  policy: ResizePolicy,
  options: LoadImagesOptions = {},
): Promise<LoadImagesResult<T>> {
  validateResizePolicy(policy);
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency must be a positive integer, got ${concurrency}`);
  if (options.cacheDir) {
    await mkdir(options.cacheDir, { recursive: true }).catch((error: Error) => {
      throw new Error(`Cannot create the image cache folder ${options.cacheDir}: ${error.message}`);
    });
  }

  const results: (RawImage | ImageDecodeError)[] = new Array(samples.length);
  let decoded = 0;
  let fromCache = 0;
  let done = 0;
  let next = 0;
  let failure: unknown = null;

  const loadOne = async (filePath: string): Promise<RawImage> => {
    let cacheFile: string | null = null;
    if (options.cacheDir) {
      const key = await cacheKey(filePath, policy).catch(() => null);
      if (key === null) throw new ImageDecodeError(filePath, 'file not found');
      cacheFile = path.join(options.cacheDir, `${key}.bin`);
      const cached = await readCacheEntry(cacheFile, policy);
      if (cached) {
        fromCache++;
        return pixelsToRawImage(cached);
      }
    }
    const pixels = await decodePixels(filePath, policy);
    decoded++;
    if (cacheFile) await writeCacheEntry(cacheFile, pixels);
    return pixelsToRawImage(pixels);
  };

  const worker = async (): Promise<void> => {
    while (failure === null && next < samples.length) {
      const index = next++;
      try {
        results[index] = await loadOne(samples[index].path);
      } catch (error) {
        if (error instanceof ImageDecodeError && !options.strict) results[index] = error;
        else failure ??= error;
      }
      done++;
      options.onProgress?.(done, samples.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, samples.length) }, worker));
  if (failure !== null) throw failure;

  const images: RawImage[] = [];
  const kept: T[] = [];
  const skipped: SkippedImage[] = [];
  results.forEach((result, index) => {
    if (result instanceof ImageDecodeError) skipped.push({ path: result.path, reason: result.reason });
    else {
      images.push(result);
      kept.push(samples[index]);
    }
  });
  return { images, samples: kept, skipped, decoded, fromCache };
}
