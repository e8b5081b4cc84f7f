import { uploadScale } from '../../../preprocess/index.ts';

/** JPEG quality of a shrunk photo: artefacts stay well below a stained organism's edge contrast. */
const JPEG_QUALITY = 0.9;

export interface PhotoToSend {
  blob: Blob;
  name: string;
  /** The sent photo's sides over the original's (1: sent as taken). */
  factor: number;
}

/**
 * The photo shrunk in the page to what the model reads (uploadScale), as JPEG, so that a
 * 12-megapixel photo does not cross a slow link at full size. The factor is returned so the photo's
 * scale can be sent shrunk alike and the server still tiles at the right physical size. A photo the
 * browser cannot decode (e.g. TIFF), that needs no shrinking, or whose shrunk JPEG would not be
 * smaller is sent as it is.
 */
export async function shrinkPhoto(file: File, photoPxPerUm: number | null, modelPxPerUm: number | null): Promise<PhotoToSend> {
  const asIs = { blob: file, name: file.name, factor: 1 };
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    return asIs;
  }
  try {
    const factor = uploadScale({ width: bitmap.width, height: bitmap.height, photoPxPerUm, modelPxPerUm });
    if (factor >= 1) return asIs;
    const width = Math.max(1, Math.round(bitmap.width * factor));
    const height = Math.max(1, Math.round(bitmap.height * factor));
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext('2d');
    if (!context) return asIs;
    context.imageSmoothingEnabled = true;
    context.imageSmoothingQuality = 'high';
    context.drawImage(bitmap, 0, 0, width, height);
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', JPEG_QUALITY));
    // An already well-compressed photo can come out larger: then the original is both smaller and sharper.
    if (!blob || blob.size >= file.size) return asIs;
    return { blob, name: file.name.replace(/\.[^.]*$/, '') + '.jpg', factor: width / bitmap.width };
  } finally {
    bitmap.close();
  }
}
