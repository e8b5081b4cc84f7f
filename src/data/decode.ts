import sharp from 'sharp';
import type { RawImage } from './types.ts';

/**
 * How every image is brought to the network's input shape. A plain object so it can be stored in
 * the model metadata and applied identically at serving time.
 */
export interface ResizePolicy {
  /** [height, width] in pixels. */
  size: [number, number];
  channels: 1 | 3;
  /** cover: fill and crop the overflow; contain: fit whole and pad; fill: stretch. */
  fit: 'cover' | 'contain' | 'fill';
  /** Grey level (0..1) of the padding added by 'contain'. Default 0. */
  padValue?: number;
}

export class ImageDecodeError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`Cannot decode image ${path}: ${reason}`);
    this.name = 'ImageDecodeError';
  }
}

/** Decoded pixels before scaling to 0..1: 8-bit images stay 8-bit, 16-bit ones (X-ray PNG/TIFF) 16-bit. */
export interface DecodedPixels {
  pixels: Uint8Array | Uint16Array;
  height: number;
  width: number;
  channels: number;
}

export function validateResizePolicy(policy: ResizePolicy): void {
  const [height, width] = policy.size ?? [];
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new Error(`Resize size must be two positive integers [height, width], got ${JSON.stringify(policy.size)}`);
  }
  if (policy.channels !== 1 && policy.channels !== 3) throw new Error(`Channels must be 1 or 3, got ${policy.channels}`);
  if (!['cover', 'contain', 'fill'].includes(policy.fit)) throw new Error(`Fit must be cover, contain or fill, got ${policy.fit}`);
  const pad = policy.padValue ?? 0;
  if (!(pad >= 0 && pad <= 1)) throw new Error(`padValue must be in 0..1, got ${policy.padValue}`);
}

function firstLine(message: string): string {
  return message.split('\n')[0].trim();
}

/**
 * Decodes JPEG, PNG, TIFF or WebP: EXIF orientation applied, transparency flattened onto white,
 * resized by the policy, converted to the policy's channel count.
 */
export async function decodePixels(input: string | Buffer, policy: ResizePolicy, name?: string): Promise<DecodedPixels> {
  validateResizePolicy(policy);
  const label = name ?? (typeof input === 'string' ? input : '<buffer>');
  const [height, width] = policy.size;
  const pad = Math.round((policy.padValue ?? 0) * 255);
  try {
    const image = sharp(input);
    const { depth } = await image.metadata();
    const sixteenBit = depth === 'ushort';
    // 16-bit input keeps its precision; converting 8-bit input to a 16-bit space would scale by 256, not 257.
    const colourspace = policy.channels === 1 ? (sixteenBit ? 'grey16' : 'b-w') : sixteenBit ? 'rgb16' : 'srgb';
    const { data, info } = await image
      .rotate()
      .flatten({ background: '#ffffff' })
      .resize({ height, width, fit: policy.fit, background: { r: pad, g: pad, b: pad } })
      .toColourspace(colourspace)
      .raw(sixteenBit ? { depth: 'ushort' } : {})
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== policy.channels || info.width !== width || info.height !== height) {
      throw new Error(`unexpected decoder output ${info.width}x${info.height}x${info.channels}`);
    }
    const pixels = sixteenBit
      ? new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return { pixels, height, width, channels: policy.channels };
  } catch (error) {
    throw new ImageDecodeError(label, firstLine((error as Error).message));
  }
}

export function pixelsToRawImage({ pixels, height, width, channels }: DecodedPixels): RawImage {
  const scale = pixels instanceof Uint16Array ? 1 / 65535 : 1 / 255;
  const data = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) data[i] = pixels[i] * scale;
  return { data, height, width, channels };
}

/** Decodes one image file or buffer to a RawImage of the policy's shape. */
export async function decodeImage(input: string | Buffer, policy: ResizePolicy, name?: string): Promise<RawImage> {
  return pixelsToRawImage(await decodePixels(input, policy, name));
}
