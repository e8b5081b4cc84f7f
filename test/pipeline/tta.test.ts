import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { viewOfBatch } from '../../src/augment/index.ts';
import { readManifest } from '../../src/data/index.ts';
import { loadBundle } from '../../src/inference/index.ts';
import { fitClassifier, type FitResult } from '../../src/pipeline/index.ts';
import { writeBandManifest } from './toy-bands.ts';

let root: string;
let result: FitResult;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'gl-tta-'));
  const dataset = await readManifest(await writeBandManifest(root, { seed: 5 }));
  result = await fitClassifier(dataset, {
    size: [16, 16],
    train: { model: 'resnet-small', width: 4, epochs: 3, batchSize: 8, learningRate: 0.01 },
    augment: { flipHorizontal: { p: 0.5 }, rotate90: { p: 0.5 } },
    tta: true,
    fractions: { train: 0.5, val: 0.25, test: 0.25 },
    runDir: join(root, 'run'),
    seed: 2,
  });
});

describe('train --tta', () => {
  it('records the views of the training flips and turns in the bundle', () => {
    expect(result.metadata?.input.tta).toHaveLength(8);
  });

  it('makes every prediction of the bundle the mean over the views, as in its test figures', async () => {
    const withTta = await loadBundle(result.bundleDir);
    const plainDir = join(root, 'plain');
    await cp(result.bundleDir, plainDir, { recursive: true });
    const metadata = JSON.parse(await readFile(join(plainDir, 'metadata.json'), 'utf8'));
    delete metadata.input.tta;
    await writeFile(join(plainDir, 'metadata.json'), JSON.stringify(metadata));
    const plain = await loadBundle(plainDir);

    const files = result.test!.samples.slice(0, 4).map((sample) => sample.path);
    const images = await withTta.decode(files);
    const averaged = await withTta.uncalibratedProbabilities(images);
    const expected = new Float32Array(averaged.length);
    for (const view of result.metadata!.input.tta!) {
      const viewed = images.map((image) => ({ ...image, data: viewOfBatch(image.data, [1, image.height, image.width, image.channels], view) }));
      const probabilities = await plain.uncalibratedProbabilities(viewed);
      probabilities.forEach((p, i) => (expected[i] += p / 8));
    }
    averaged.forEach((p, i) => expect(p).toBeCloseTo(expected[i], 5));
    expect(Math.max(...averaged.map((p, i) => Math.abs(p - result.test!.uncalibratedProbabilities[i])))).toBeLessThan(1e-4);
    const single = await plain.uncalibratedProbabilities(images);
    expect(Math.max(...single.map((p, i) => Math.abs(p - averaged[i])))).toBeGreaterThan(1e-4);
  });
});
