import type { RgbaLayer, RgbPhoto } from '../../inference/portable.ts';

/**
 * A photo decoded in the page as the server decodes it: EXIF orientation applied, no colour
 * conversion, 8-bit RGB (alpha dropped).
 */
export async function decodeInPage(blob: Blob): Promise<RgbPhoto> {
  const bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image', colorSpaceConversion: 'none', premultiplyAlpha: 'none' }).catch(() => {
    throw new Error('This file could not be read as an image.');
  });
  try {
    const { width, height } = bitmap;
    const context = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
    if (!context) throw new Error('This browser cannot read the photo’s pixels.');
    context.drawImage(bitmap, 0, 0);
    const rgba = context.getImageData(0, 0, width, height, { colorSpace: 'srgb' }).data;
    const rgb = new Uint8Array(width * height * 3);
    for (let p = 0, q = 0; p < rgba.length; p += 4, q += 3) {
      rgb[q] = rgba[p];
      rgb[q + 1] = rgba[p + 1];
      rgb[q + 2] = rgba[p + 2];
    }
    return { rgb, width, height };
  } finally {
    bitmap.close();
  }
}

/** A transparent layer as PNG, to lay over the photo like the server's PNG layers. */
export async function layerPng(layer: RgbaLayer): Promise<Blob> {
  const canvas = new OffscreenCanvas(layer.width, layer.height);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('This browser cannot draw the heatmap.');
  context.putImageData(new ImageData(new Uint8ClampedArray(layer.rgba), layer.width, layer.height), 0, 0);
  return canvas.convertToBlob({ type: 'image/png' });
}
