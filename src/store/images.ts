import type { Readable } from 'node:stream';
import sharp from 'sharp';
import { isSha256, type BlobStore } from './blob-store.ts';
import type { Clock } from './clock.ts';
import { invalid, notFound, StoreError } from './errors.ts';
import type { Sql } from './sql.ts';

/** The folder of the data folder that the image files are kept in by default (a FolderBlobStore). */
export const IMAGES_FOLDER = 'images';

export type UploadFormat = 'jpeg' | 'png' | 'tiff' | 'webp';
/** JPEG stays JPEG (re-encoded at high quality); everything else is stored as lossless PNG. */
export type StoredFormat = 'jpeg' | 'png';

export interface ImageLimits {
  maxBytes: number;
  maxPixels: number;
}

export const DEFAULT_IMAGE_LIMITS: ImageLimits = { maxBytes: 20 * 1024 * 1024, maxPixels: 40_000_000 };

export interface ImageHeader {
  format: UploadFormat;
  width: number;
  height: number;
}

export interface StoredImage {
  sha256: string;
  format: StoredFormat;
  width: number;
  height: number;
  bytes: number;
  createdAt: number;
}

interface ImageRow {
  sha256: string;
  format: StoredFormat;
  width: number;
  height: number;
  bytes: number;
  created_at: number;
}

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  return bytes.length >= offset + signature.length && signature.every((byte, i) => bytes[offset + i] === byte);
}

/** The image format told by the file's first bytes (never by its name or declared type), or null. */
export function sniffImageFormat(bytes: Uint8Array): UploadFormat | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)) return 'webp';
  return null;
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function megapixels(pixels: number): string {
  return `${(pixels / 1e6).toFixed(1)} megapixels`;
}

function undecodable(): StoreError {
  return new StoreError('undecodable', 'the image could not be decoded: the file is truncated or corrupt');
}

function toStoredImage(row: ImageRow): StoredImage {
  return { sha256: row.sha256, format: row.format, width: row.width, height: row.height, bytes: row.bytes, createdAt: row.created_at };
}

/**
 * Images content-addressed by the sha256 of their re-encoded bytes, their files in a BlobStore (by
 * default the folder `<dataDir>/images`, as `ab/cdef…`). An upload is checked (size, magic bytes,
 * pixel count from the header alone), decoded, turned upright by its EXIF orientation and re-encoded
 * without any metadata (EXIF, GPS, ICC, XMP), then stored whole before its row is inserted: a crash
 * leaves at most an orphan file, never a row pointing at a missing or half-written file.
 */
export class Images {
  constructor(
    private readonly db: Sql,
    private readonly blobs: BlobStore,
    private readonly clock: Clock,
  ) {}

  /**
   * An upload's format and size from its first bytes and header alone (nothing is decoded), after
   * the checks every upload gets: not empty, within the byte and pixel limits, a supported format
   * whose header sharp can read. Tells a caller how many pixels decoding it will cost.
   */
  async inspect(data: Buffer, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Promise<ImageHeader> {
    if (data.length === 0) throw invalid('the image file is empty');
    if (data.length > limits.maxBytes) {
      throw new StoreError('too-large', `the image is ${megabytes(data.length)}; the limit is ${megabytes(limits.maxBytes)}`);
    }
    const format = sniffImageFormat(data);
    if (!format) throw new StoreError('unsupported-media', 'not an image: only JPEG, PNG, TIFF and WebP files are accepted');
    // Header only: nothing is decoded here, so the pixel limit is checked by hand below.
    const header = await sharp(data, { limitInputPixels: false }).metadata().catch(() => {
      throw undecodable();
    });
    if (header.format !== format || !header.width || !header.height) throw undecodable();
    const pixels = header.width * header.height;
    if (pixels > limits.maxPixels) {
      throw new StoreError('too-large', `the image has ${header.width}×${header.height} = ${megapixels(pixels)}; the limit is ${megapixels(limits.maxPixels)}`);
    }
    return { format, width: header.width, height: header.height };
  }

  async ingest(data: Buffer, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Promise<StoredImage> {
    return (await this.ingestKeepingBytes(data, limits)).image;
  }

  /** Like `ingest`, and hands back the bytes as stored, for a caller that uses them at once (a prediction) without reading the file back. */
  async ingestKeepingBytes(data: Buffer, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Promise<{ image: StoredImage; bytes: Buffer }> {
    const { format } = await this.inspect(data, limits);
    const stored: StoredFormat = format === 'jpeg' ? 'jpeg' : 'png';
    const encoded = await this.reencode(data, stored, limits.maxPixels);
    const sha256 = await this.blobs.put(encoded.data);
    await this.db.run('INSERT INTO images (sha256, format, width, height, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING', [
      sha256,
      stored,
      encoded.width,
      encoded.height,
      encoded.data.length,
      this.clock(),
    ]);
    return { image: await this.require(sha256), bytes: encoded.data };
  }

  async get(sha256: string): Promise<StoredImage | null> {
    if (!isSha256(sha256)) return null;
    const row = await this.db.get<ImageRow>('SELECT * FROM images WHERE sha256 = ?', [sha256]);
    return row ? toStoredImage(row) : null;
  }

  async require(sha256: string): Promise<StoredImage> {
    const image = await this.get(sha256);
    if (!image) throw notFound(`no image ${sha256}`);
    return image;
  }

  async read(sha256: string): Promise<Buffer> {
    await this.require(sha256);
    return this.blobs.read(sha256);
  }

  async stream(sha256: string): Promise<Readable> {
    await this.require(sha256);
    return this.blobs.stream(sha256);
  }

  private async reencode(data: Buffer, format: StoredFormat, maxPixels: number): Promise<{ data: Buffer; width: number; height: number }> {
    try {
      const upright = sharp(data, { limitInputPixels: maxPixels, failOn: 'error' }).rotate();
      // No Huffman optimisation: it holds every DCT coefficient of the image in memory (~0.5 GB for
      // 40 megapixels) where plain encoding streams in strips; the file is ~10-20% larger.
      const encoder = format === 'jpeg' ? upright.jpeg({ quality: 95, chromaSubsampling: '4:4:4', optimiseCoding: false }) : upright.png();
      const { data: bytes, info } = await encoder.toBuffer({ resolveWithObject: true });
      return { data: bytes, width: info.width, height: info.height };
    } catch {
      throw undecodable();
    }
  }
}
