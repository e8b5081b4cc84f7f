import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../src/data/index.ts';
import { Classifier, fitClassifier, type FitResult } from '../../src/pipeline/index.ts';
import { createRng } from '../../src/util/index.ts';

const CLASSES = ['bright_top', 'bright_bottom', 'bright_left'];

/** 16×16 RGB images whose class is where a bright band lies, noisy, 8 patients per class. */
async function writeToyDataset(root: string): Promise<string> {
  const rng = createRng(11);
  const rows = ['path,label,patient_id'];
  for (const [c, label] of CLASSES.entries()) {
    await mkdir(join(root, label), { recursive: true });
    for (let patient = 0; patient < 8; patient++) {
      for (let i = 0; i < 3; i++) {
        const pixels = Buffer.alloc(16 * 16 * 3);
        for (let y = 0; y < 16; y++) {
          for (let x = 0; x < 16; x++) {
            const band = c === 0 ? y < 6 : c === 1 ? y >= 10 : x < 6;
            const value = (band ? 200 : 60) + rng.normal() * 25;
            pixels.fill(Math.max(0, Math.min(255, Math.round(value))), (y * 16 + x) * 3, (y * 16 + x) * 3 + 3);
          }
        }
        const file = `${label}/${patient}-${i}.png`;
        await sharp(pixels, { raw: { width: 16, height: 16, channels: 3 } }).png().toFile(join(root, file));
        rows.push(`${file},${label},${label}-p${patient}`);
      }
    }
  }
  await writeFile(join(root, 'corrupt.png'), 'not an image');
  rows.push(`corrupt.png,${CLASSES[0]},x-p1`);
  await writeFile(join(root, 'manifest.csv'), `${rows.join('\n')}\n`);
  return join(root, 'manifest.csv');
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
    const onnx = await Classifier.load(result.bundleDir);
    const tfjs = await Classifier.load(result.bundleDir, { runtime: 'tfjs' });
    expect(onnx.runtime).toBe('onnx');
    const a = await onnx.predict(files);
    const b = await tfjs.predict(files);
    a.forEach((prediction, i) => {
      expect(prediction.top.label).toBe(b[i].top.label);
      expect(prediction.classes.reduce((sum, c) => sum + c.probability, 0)).toBeCloseTo(1, 5);
      prediction.classes.forEach((c) => expect(c.probability).toBeCloseTo(b[i].classes.find((x) => x.label === c.label)!.probability, 4));
    });
    const correct = a.filter((p, i) => p.top.label === result.test!.samples[i].label).length;
    expect(correct).toBeGreaterThanOrEqual(4);
    await onnx.dispose();
    await tfjs.dispose();
  });

  it('refuses a bundle it cannot read with a clear message', async () => {
    await expect(Classifier.load(join(root, 'nothing-here'))).rejects.toThrow(/not a gramlens model bundle/);
  });
});
