import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/index.ts';
import { readManifest, type RawImage } from '../../src/data/index.ts';
import { explain } from '../../src/explain/index.ts';
import { loadBundle } from '../../src/inference/index.ts';
import { loadBundleMembers, readBundleMetadata } from '../../src/models/index.ts';
import { fitClassifier, type FitResult } from '../../src/pipeline/index.ts';
import { modelInput } from '../../src/preprocess/index.ts';
import { writeBandManifest } from './toy-bands.ts';

const TRAIN = { model: 'resnet-small', width: 4, epochs: 2, batchSize: 8, learningRate: 0.01 } as const;

let root: string;
let manifest: string;
let result: FitResult;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'gl-ensemble-'));
  manifest = await writeBandManifest(root, { seed: 7 });
  result = await fitClassifier(await readManifest(manifest), {
    size: [16, 16],
    train: TRAIN,
    ensemble: 2,
    fractions: { train: 0.5, val: 0.25, test: 0.25 },
    runDir: join(root, 'run'),
    seed: 3,
  });
}, 120_000);

/** Each member's own softmax of the images, run alone on TF.js, as the bundle's input policy prepares them. */
async function memberProbabilities(images: RawImage[]): Promise<Float32Array[]> {
  const { models, metadata } = await loadBundleMembers(result.bundleDir);
  const { height, width, channels } = metadata.input;
  const batch = new Float32Array(images.length * height * width * channels);
  images.forEach((image, i) => batch.set(modelInput(image, metadata.input, i), i * height * width * channels));
  const outputs = models.map((model) => {
    const probabilities = tf.tidy(() => model.predict(tf.tensor4d(batch, [images.length, height, width, channels])) as tf.Tensor);
    const values = probabilities.dataSync() as Float32Array;
    probabilities.dispose();
    model.dispose();
    return values;
  });
  return outputs;
}

describe('train --ensemble', () => {
  it('stores one bundle with every member, trained with consecutive seeds', async () => {
    const metadata = await readBundleMetadata(result.bundleDir);
    expect(metadata.ensemble).toEqual({ seeds: [3, 4] });
    expect(metadata.architecture.seed).toBe(3);
    expect(existsSync(join(result.bundleDir, 'weights-member-1.bin'))).toBe(true);
    expect(existsSync(join(root, 'run', 'member-2'))).toBe(true);
    expect((metadata.training as { ensemble: { seed: number }[] }).ensemble.map((member) => member.seed)).toEqual([4]);
  });

  it('predicts the mean of its members run alone, on ONNX and on TF.js, as in its test figures', async () => {
    const files = result.test!.samples.slice(0, 5).map((sample) => sample.path);
    const onnx = await loadBundle(result.bundleDir);
    const tfjs = await loadBundle(result.bundleDir, { runtime: 'tfjs' });
    const images = await onnx.decode(files);
    const [first, second] = await memberProbabilities(images);
    const mean = first.map((p, i) => (p + second[i]) / 2);
    expect(Math.max(...first.map((p, i) => Math.abs(p - second[i])))).toBeGreaterThan(1e-3);

    for (const bundle of [onnx, tfjs]) {
      const averaged = await bundle.uncalibratedProbabilities(images);
      expect(Math.max(...averaged.map((p, i) => Math.abs(p - mean[i])))).toBeLessThan(1e-5);
    }
    const served = await onnx.uncalibratedProbabilities(images);
    expect(Math.max(...served.map((p, i) => Math.abs(p - result.test!.uncalibratedProbabilities[i])))).toBeLessThan(1e-4);
    await onnx.dispose();
    await tfjs.dispose();
  });

  it('gives the heatmap of its first member', async () => {
    const bundle = await loadBundle(result.bundleDir);
    const { models, metadata } = await loadBundleMembers(result.bundleDir);
    const scaled = (map: Float32Array) => {
      const top = Math.max(...map.map(Math.abs));
      return map.map((v) => v / top);
    };
    let compared = 0;
    for (const sample of result.test!.samples.slice(0, 6)) {
      const photo = await readFile(sample.path);
      const { prediction, heatmap } = await bundle.predictWithHeatmap(photo);
      if (!heatmap || prediction.refusal !== null) continue;
      const [image] = await bundle.decode([photo]);
      const targetClass = metadata.classes.indexOf(prediction.top.label);
      const [ofFirst, ofSecond] = models.map((model) => scaled(explain(model, modelInput(image, metadata.input), { method: 'gradcam', targetClass }).map));
      const served = scaled(heatmap.map);
      expect(Math.max(...served.map((v, i) => Math.abs(v - ofFirst[i])))).toBeLessThan(1e-3);
      expect(Math.max(...served.map((v, i) => Math.abs(v - ofSecond[i])))).toBeGreaterThan(1e-2);
      compared++;
    }
    expect(compared).toBeGreaterThan(0);
    models.forEach((model) => model.dispose());
    await bundle.dispose();
  });

  it('rebuilds the same ensemble graph with gramlens export', async () => {
    const before = await readFile(join(result.bundleDir, 'model.onnx'));
    const errors: string[] = [];
    const code = await runCli(['export', result.bundleDir, '--out', join(root, 'exported.onnx')], { out: () => {}, err: (t) => errors.push(t), signal: new AbortController().signal });
    expect(code).toBe(0);
    expect(Buffer.compare(await readFile(join(root, 'exported.onnx')), before)).toBe(0);
  });

  it('says which member file an incomplete bundle lacks', async () => {
    const broken = join(root, 'broken');
    await cp(result.bundleDir, broken, { recursive: true });
    await rm(join(broken, 'weights-member-1.bin'));
    await expect(loadBundleMembers(broken)).rejects.toThrow(/has no weights-member-1\.bin: the bundle is incomplete/);
  });

  it('refuses a bad --ensemble with one line', async () => {
    for (const [value, message] of [['0', '--ensemble must be an integer ≥ 1'], ['1.5', '--ensemble must be an integer ≥ 1'], ['11', '--ensemble must be at most 10 models']]) {
      const errors: string[] = [];
      const code = await runCli(['train', manifest, '--out', join(root, 'bad'), '--ensemble', value], { out: () => {}, err: (t) => errors.push(t), signal: new AbortController().signal });
      expect(code).toBe(2);
      expect(errors.join('\n')).toContain(message);
      expect(errors.join('\n')).not.toMatch(/\n\s+at /);
    }
  });
});
