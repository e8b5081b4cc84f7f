import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseStainNorm } from '../../src/cli/options.ts';
import type { Dataset, RawImage, Sample } from '../../src/data/index.ts';
import { BundlePredictor, loadBundle } from '../../src/inference/index.ts';
import { readBundleMetadata, type InputPolicy } from '../../src/models/index.ts';
import { fitClassifier, type FitResult } from '../../src/pipeline/index.ts';
import { modelInput, normaliseStainFor, type StainNormalisation } from '../../src/preprocess/index.ts';
import { createRng } from '../../src/util/index.ts';

const CLASSES = ['pink', 'violet'];
const STAINS = { violet: [0.6, 0.76, 0.24], pink: [0.18, 0.87, 0.46] } as const;

/** A 16×16 Gram-like tile: a stained disc on glass, in the patient's lamp light, with noise. */
function tile(label: 'pink' | 'violet', light: readonly number[], rng: ReturnType<typeof createRng>): Buffer {
  const pixels = Buffer.alloc(16 * 16 * 3);
  const cx = 4 + rng.int(8);
  const cy = 4 + rng.int(8);
  for (let y = 0; y < 16; y++) {
    for (let x = 0; x < 16; x++) {
      const density = Math.hypot(x - cx, y - cy) < 3.5 ? 1.2 : 0.05;
      for (let c = 0; c < 3; c++) {
        const value = 255 * light[c] * Math.exp(-STAINS[label][c] * density) + rng.normal() * 3;
        pixels[(y * 16 + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(value)));
      }
    }
  }
  return pixels;
}

async function writeToyDataset(root: string): Promise<Dataset> {
  const rng = createRng(3);
  const samples: Sample[] = [];
  for (const label of CLASSES as ('pink' | 'violet')[]) {
    await mkdir(join(root, label), { recursive: true });
    for (let patient = 0; patient < 6; patient++) {
      const light = [rng.uniform(0.8, 1), rng.uniform(0.8, 1), rng.uniform(0.8, 1)];
      for (let i = 0; i < 3; i++) {
        const path = join(root, label, `${patient}-${i}.png`);
        await sharp(tile(label, light, rng), { raw: { width: 16, height: 16, channels: 3 } }).png().toFile(path);
        samples.push({ path, label, patientId: `${label}-${patient}` });
      }
    }
  }
  await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 255, g: 255, b: 255 } } }).png().toFile(join(root, 'blank.png'));
  return { root, classes: CLASSES, samples };
}

const TRAIN = { model: 'resnet-small', width: 4, epochs: 2, batchSize: 8, learningRate: 0.01, patience: 0 } as const;
let root: string;
let dataset: Dataset;
let result: FitResult;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'gl-stain-'));
  dataset = await writeToyDataset(join(root, 'data'));
  result = await fitClassifier(dataset, {
    size: [16, 16],
    train: TRAIN,
    augment: { flipHorizontal: { p: 0 } },
    fractions: { train: 0.5, val: 0.25, test: 0.25 },
    stainNormalisation: 'macenko',
    runDir: join(root, 'run'),
    seed: 2,
  });
});

describe('training with stain normalisation', () => {
  it('stores the reference estimated on the training images in the bundle and the run record', async () => {
    const stain = result.metadata!.input.stain!;
    expect(stain.method).toBe('macenko');
    expect(stain.images).toBe(result.counts.train);
    expect((await readBundleMetadata(result.bundleDir)).input.stain).toEqual(stain);
    const run = JSON.parse(await readFile(join(root, 'run', 'run.json'), 'utf8'));
    expect(run.metadata.input.stain).toEqual(stain);
  });

  it('refuses a greyscale model with a one-line error', async () => {
    const grey = fitClassifier(dataset, { size: [16, 16], channels: 1, train: TRAIN, stainNormalisation: 'reinhard', runDir: join(root, 'grey'), seed: 2 });
    await expect(grey).rejects.toThrow(/^stain normalisation needs RGB images, not 1-channel ones/);
    expect(() => parseStainNorm({ 'stain-norm': 'reinhard' }, 1)).toThrow(/needs RGB/);
    expect(() => parseStainNorm({ 'stain-norm': 'vahadane' }, 3)).toThrow(/--stain-norm must be none, reinhard or macenko/);
    expect(parseStainNorm({}, 1)).toBe('none');
  });
});

describe('a loaded stain-normalising bundle', () => {
  it('predicts on an image what the same model without the option predicts on the pre-normalised image', async () => {
    const stain = result.metadata!.input.stain as StainNormalisation;
    const plainDir = join(root, 'plain');
    await cp(result.bundleDir, plainDir, { recursive: true });
    const metadata = JSON.parse(await readFile(join(plainDir, 'metadata.json'), 'utf8'));
    delete metadata.input.stain;
    await writeFile(join(plainDir, 'metadata.json'), JSON.stringify(metadata));

    const withOption = await loadBundle(result.bundleDir);
    const without = await loadBundle(plainDir);
    const images = await withOption.decode(result.test!.samples.map((s) => s.path));
    const normalised: RawImage[] = images.map((image) => ({ ...image, data: normaliseStainFor(image.data, image.width, image.height, stain) }));
    const expected = await without.probabilities(normalised);
    const actual = await withOption.probabilities(images);
    actual.forEach((p, i) => expect(p).toBeCloseTo(expected[i], 6));
    // The option changes what the model sees.
    expect(modelInput(images[0], withOption.metadata.input)).not.toEqual(modelInput(images[0], without.metadata.input));
    await withOption.dispose();
    await without.dispose();
  });

  it('serves and explains with the same normalisation', async () => {
    const file = result.test!.samples[0].path;
    const classifier = await loadBundle(result.bundleDir);
    const [expected] = await classifier.predict([file]);
    const predictor = await BundlePredictor.load(result.bundleDir);
    const served = await predictor.predict(await readFile(file));
    const explained = await classifier.explain(file);
    if (expected.refusal || 'wholeField' in served || served.refusal || explained.prediction.refusal) throw new Error(`${file} was not answered`);
    for (const { label, probability } of expected.classes) {
      expect(served.classes.find((c) => c.label === label)!.probability).toBeCloseTo(probability, 6);
      expect(explained.prediction.classes.find((c) => c.label === label)!.probability).toBeCloseTo(probability, 4);
    }
    await classifier.dispose();
    await predictor.dispose();
  });

  it('refuses a blank image, and its stain normalisation still gives finite probabilities', async () => {
    const classifier = await loadBundle(result.bundleDir);
    const blank = join(dataset.root, 'blank.png');
    const [prediction] = await classifier.predict([blank]);
    expect(prediction.refusal?.code).toBe('blank');
    const probabilities = await classifier.probabilities(await classifier.decode([blank]));
    expect(probabilities.every((p) => Number.isFinite(p))).toBe(true);
    expect(probabilities.reduce((sum, p) => sum + p, 0)).toBeCloseTo(1, 5);
    await classifier.dispose();
  });

  it('refuses a greyscale input policy that asks for stain normalisation', () => {
    const input: InputPolicy = { ...result.metadata!.input, channels: 1 };
    const grey: RawImage = { data: new Float32Array(16 * 16), height: 16, width: 16, channels: 1 };
    expect(() => modelInput(grey, input)).toThrow(/needs RGB images/);
  });
});
