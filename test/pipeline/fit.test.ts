import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../src/data/index.ts';
import { loadBundle } from '../../src/inference/index.ts';
import { fitClassifier, type FitResult } from '../../src/pipeline/index.ts';
import { BAND_CLASSES, writeBandManifest } from './toy-bands.ts';

const CLASSES = BAND_CLASSES;

/** The bright-band toy set (8 patients per class) plus an unreadable file. */
async function writeToyDataset(root: string): Promise<string> {
  await writeFile(join(root, 'corrupt.png'), 'not an image');
  return writeBandManifest(root, { seed: 11, extraRows: [`corrupt.png,${CLASSES[0]},x-p1`] });
}

let root: string;
let result: FitResult;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'gl-fit-'));
  const dataset = await readManifest(await writeToyDataset(root));
  result = await fitClassifier(dataset, {
    size: [16, 16],
    train: { model: 'resnet-small', width: 4, epochs: 6, batchSize: 8, learningRate: 0.01, patience: 0 },
    augment: { flipHorizontal: { p: 0 } },
    fractions: { train: 0.5, val: 0.25, test: 0.25 },
    runDir: join(root, 'run'),
    seed: 2,
  });
});

describe('fitClassifier', () => {
  it('splits by patient, skips the unreadable file, trains and evaluates on test', () => {
    expect(result.status).toBe('completed');
    expect(result.skipped).toBe(1);
    expect(result.counts.train + result.counts.val + result.counts.test).toBe(72);
    expect(result.report?.accuracy.value).toBeGreaterThan(0.8);
    expect(result.temperature).toBeGreaterThan(0);
  });

  it('writes a bundle with ONNX, calibration and the run record', async () => {
    expect(result.metadata?.classes).toEqual([...CLASSES].sort());
    expect(result.metadata?.onnx?.outputs).toEqual(['probabilities', 'features']);
    expect(result.metadata?.dataHash).toMatch(/^[0-9a-f]{16}$/);
    const run = JSON.parse(await readFile(join(root, 'run', 'run.json'), 'utf8'));
    expect(run.splits).toEqual(result.counts);
    expect(run.metadata.training.config.seed).toBe(2);
  });

  it('predicts the same through onnxruntime and TF.js, with calibrated probabilities', async () => {
    const files = result.test!.samples.slice(0, 6).map((s) => s.path);
    const onnx = await loadBundle(result.bundleDir);
    const tfjs = await loadBundle(result.bundleDir, { runtime: 'tfjs' });
    expect(onnx.runtime).toBe('onnx');
    const a = await onnx.predict(files);
    const b = await tfjs.predict(files);
    a.forEach((prediction, i) => {
      const other = b[i];
      if (prediction.refusal || other.refusal) throw new Error(`${files[i]} was refused: ${(prediction.refusal ?? other.refusal)!.reason}`);
      expect(prediction.top.label).toBe(other.top.label);
      expect(prediction.classes.reduce((sum, c) => sum + c.probability, 0)).toBeCloseTo(1, 5);
      prediction.classes.forEach((c) => expect(c.probability).toBeCloseTo(other.classes.find((x) => x.label === c.label)!.probability, 4));
    });
    const correct = a.filter((p, i) => p.top?.label === result.test!.samples[i].label).length;
    expect(correct).toBeGreaterThanOrEqual(4);
    await onnx.dispose();
    await tfjs.dispose();
  });

  it('fits the out-of-distribution check on training and validation images', () => {
    const ood = result.metadata!.ood!;
    expect(ood.features.statistics.means).toHaveLength(CLASSES.length);
    expect(ood.features.statistics.means[0]).toHaveLength(ood.features.statistics.axes[0].length);
    expect(Number.isFinite(ood.features.threshold)).toBe(true);
    expect(ood.validation.images).toBe(result.counts.val);
    expect(ood.validation.refusedByScores).toBeLessThanOrEqual(ood.validation.refusalTarget);
    expect(ood.trainImages).toBe(result.counts.train);
    // The bands are grey: the greyscale check would refuse every validation image, so it does not apply to this model.
    expect(ood.imageChecks).not.toContain('greyscale');
    expect(ood.imageChecks).toContain('blank');
  });

  it('refuses a bundle it cannot read with a clear message', async () => {
    await expect(loadBundle(join(root, 'nothing-here'))).rejects.toThrow(/not a gramlens model bundle/);
  });
});
