import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { Refusal } from '../contract/index.ts';
import { ImageDecodeError } from '../data/index.ts';
import { decodePhoto } from '../fields/index.ts';
import type { Disc } from '../ood/index.ts';
import { ImageGuard } from './guard.ts';

/** The bundle's ImageGuard with the photo decoded by sharp (EXIF orientation applied). */
export class InputGuard extends ImageGuard {
  /** The image checks on a photo (a file or encoded bytes), inside `disc` when given; null when it passes. */
  async checkPhoto(photo: string | Buffer, disc?: Disc): Promise<Refusal | null> {
    const bytes = typeof photo === 'string' ? await readFile(photo) : photo;
    const { rgb, width, height } = await decodePhoto(bytes);
    return this.checkPixels(rgb, width, height, disc);
  }
}

/** A photo's size from its header (rotation does not change its shorter side). */
export async function photoSize(photo: string | Buffer, name = typeof photo === 'string' ? photo : 'the photo'): Promise<{ width: number; height: number }> {
  const { width, height } = await sharp(photo)
    .metadata()
    .catch((error: Error) => {
      throw new ImageDecodeError(name, error.message.split('\n')[0]);
    });
  if (!width || !height) throw new ImageDecodeError(name, 'no image size in its header');
  return { width, height };
}
