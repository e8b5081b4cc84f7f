import { describe, expect, it } from 'vitest';
import { ImageGuard } from '../../src/inference/guard.ts';
import type { BundleMetadata } from '../../src/models/index.ts';
import { IMAGE_CHECKS, fitEmbeddingStatistics, type ImageCheck, type OodStatistics } from '../../src/ood/index.ts';

const statistics = fitEmbeddingStatistics(Float32Array.from([0, 0, 1, 0, 0, 1, 5, 5, 6, 5, 5, 6]), Int32Array.from([0, 0, 0, 1, 1, 1]), 2, 2);

function metadata(imageChecks: ImageCheck[], tried: ImageCheck[] | undefined, classes = ['gnr', 'no_bacteria']): BundleMetadata {
  const ood: OodStatistics = {
    features: { statistics, threshold: 10 },
    imageChecks,
    ...(tried ? { imageChecksTried: tried } : {}),
    validation: { images: 6, refusalTarget: 0.005, refusedByScores: 0, refusedByImageChecks: 0 },
    trainImages: 6,
  };
  return { classes, input: { height: 8, width: 8, channels: 3, fit: 'cover', mean: [0, 0, 0], std: [1, 1, 1] }, ood } as unknown as BundleMetadata;
}

describe('the image checks a bundle applies', () => {
  const before = ['blank', 'noise', 'greyscale', 'dark', 'colours'] as ImageCheck[];

  it('add the checks newer than the list a microscope bundle stored, when it never tried them', () => {
    expect(new ImageGuard(metadata(before, undefined)).imageChecks).toEqual(IMAGE_CHECKS);
  });

  it('add only the checks a bundle never tried: one fitted with page but before drawing gets drawing, not a page check it dropped', () => {
    const tried = IMAGE_CHECKS.filter((check) => check !== 'drawing');
    expect(new ImageGuard(metadata(before, tried)).imageChecks).toEqual([...before, 'drawing']);
  });

  it('keep the fitted list of a bundle that tried every check, and of a model that is not of microscope photos', () => {
    expect(new ImageGuard(metadata(before, [...IMAGE_CHECKS])).imageChecks).toEqual(before);
    expect(new ImageGuard(metadata(['blank', 'noise'], undefined, ['normal', 'pneumonia'])).imageChecks).toEqual(['blank', 'noise']);
  });
});
