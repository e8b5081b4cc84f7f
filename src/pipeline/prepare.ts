import { createHash } from 'node:crypto';
import { relative } from 'node:path';
import { loadImages, type Dataset, type RawImage, type ResizePolicy, type Sample, type SkippedImage } from '../data/index.ts';
import type { ImageSet } from '../train/index.ts';

export interface PreparedSet {
  set: ImageSet;
  /** The samples that decoded, aligned with the set's images. */
  samples: Sample[];
  skipped: SkippedImage[];
}

/** Packs decoded images of one shape into the trainer's flat layout. */
export function packImages(images: readonly RawImage[], labels: Int32Array): ImageSet {
  if (images.length === 0) throw new Error('no images to pack');
  const { height, width, channels } = images[0];
  const size = height * width * channels;
  const data = new Float32Array(images.length * size);
  images.forEach((image, i) => {
    if (image.height !== height || image.width !== width || image.channels !== channels) {
      throw new Error(`image ${i} is ${image.height}×${image.width}×${image.channels}, not ${height}×${width}×${channels}`);
    }
    data.set(image.data, i * size);
  });
  return { images: data, shape: [images.length, height, width, channels], labels };
}

/**
 * Decodes samples (skipping unreadable files unless strict) and packs them with their label
 * indices: positions in `labels`, the classes followed by any coarse labels (see labelNames).
 */
export async function prepareImageSet(
  samples: readonly Sample[],
  labels: readonly string[],
  policy: ResizePolicy,
  options: { strict?: boolean; cacheDir?: string; onProgress?: (done: number, total: number) => void } = {},
): Promise<PreparedSet> {
  const result = await loadImages(samples, policy, options);
  if (result.images.length === 0) throw new Error(`none of the ${samples.length} images could be decoded (first problem: ${result.skipped[0]?.reason ?? 'none'})`);
  const index = new Map(labels.map((name, i) => [name, i]));
  const indices = Int32Array.from(result.samples, (sample) => {
    const label = index.get(sample.label);
    if (label === undefined) throw new Error(`sample ${sample.path} has label "${sample.label}", not one of the classes`);
    return label;
  });
  return { set: packImages(result.images, indices), samples: result.samples, skipped: result.skipped };
}

/** A short fingerprint of what a model was trained on: every sample's path (relative to the root), label and patient. */
export function datasetHash(dataset: Dataset): string {
  const hash = createHash('sha256');
  for (const sample of [...dataset.samples].sort((a, b) => a.path.localeCompare(b.path))) {
    hash.update(`${relative(dataset.root, sample.path)}\t${sample.label}\t${sample.patientId}\n`);
  }
  return hash.digest('hex').slice(0, 16);
}
