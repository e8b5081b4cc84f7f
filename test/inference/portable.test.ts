import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxClassifier, type ModelRunner } from '../../src/engine/onnx/index.ts';
import { camFromFeatures } from '../../src/explain/index.ts';
import { decodePhoto, processPhoto, processPixels } from '../../src/fields/index.ts';
import { loadBundle, type ModelBundle } from '../../src/inference/index.ts';
import { FieldReader, PortableModel, photoToInput, readTile } from '../../src/inference/portable.ts';
import type { BundleMetadata } from '../../src/models/index.ts';
import { generateField } from '../../src/synth/index.ts';
import { toyTile, trainToyBundle } from './toy-bundle.ts';

/** Metadata of a 2×2×3 model of two classes with identity normalisation (what the pure code reads). */
function tinyMetadata(overrides: Partial<BundleMetadata> = {}): BundleMetadata {
  return {
    architecture: { name: 'tiny', seed: 1 },
    createdAt: '2026-12-07T00:00:00.000Z',
    classes: ['a', 'b'],
    input: { height: 2, width: 2, channels: 3, fit: 'cover', mean: [0, 0, 0], std: [1, 1, 1] },
    temperature: 1,
    ...overrides,
  } as BundleMetadata;
}

/** A runner whose softmax puts `pA` on class a when the first input value is below 0.5, else on b; features 1×1×2 = the first two input values. */
function fakeRunner(pA: number): ModelRunner & { calls: number[] } {
  const calls: number[] = [];
  return {
    inputShape: [2, 2, 3],
    calls,
    async run(batch, n) {
      calls.push(n);
      const probabilities = new Float32Array(n * 2);
      const features = new Float32Array(n * 2);
      for (let i = 0; i < n; i++) {
        const first = batch[i * 12];
        probabilities.set(first < 0.5 ? [pA, 1 - pA] : [1 - pA, pA], i * 2);
        features.set([batch[i * 12], batch[i * 12 + 1]], i * 2);
      }
      return { probabilities, outputs: { probabilities: { data: probabilities, shape: [n, 2] }, features: { data: features, shape: [n, 1, 1, 2] } } };
    },
    async dispose() {},
  };
}

const image = (value: number) => ({ data: new Float32Array(12).fill(value), height: 2, width: 2, channels: 3 });

describe('PortableModel', () => {
  it('runs images in batches through any runner, calibrated by the bundle’s temperature, with each image’s feature map', async () => {
    const runner = fakeRunner(0.8);
    const model = new PortableModel(tinyMetadata({ temperature: 2 }), runner, null, 2);
    const { probabilities, features } = await model.infer([image(0.2), image(0.9), image(0.1)], { features: true });
    expect(runner.calls).toEqual([2, 1]);
    // softmax(log p / 2) of (0.8, 0.2) = (√0.8, √0.2) / (√0.8 + √0.2) = (2/3, 1/3)
    expect(Array.from(probabilities)).toEqual([2 / 3, 1 / 3, 1 / 3, 2 / 3, 2 / 3, 1 / 3].map((p) => expect.closeTo(p, 6)));
    expect(features?.map((map) => Array.from(map.data))).toEqual([[0.2, 0.2], [0.9, 0.9], [0.1, 0.1]].map((pair) => pair.map((v) => expect.closeTo(v, 6))));
    expect(model.modelVersion).toBe('tiny@2026-12-07T00:00:00.000Z');
  });

  it('averages the probabilities over the bundle’s test-time views', async () => {
    const runner = fakeRunner(0.9);
    const tta = [{ flip: false, quarterTurns: 0 }, { flip: true, quarterTurns: 0 }] as const;
    const model = new PortableModel(tinyMetadata({ input: { ...tinyMetadata().input, tta: [...tta] } }), runner, null);
    // Flipped left to right, the first value of the image is its second column's: class b's side.
    const split = { data: Float32Array.from([0.1, 0.1, 0.1, 0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9]), height: 2, width: 2, channels: 3 };
    const { probabilities } = await model.infer([split]);
    expect(Array.from(probabilities)).toEqual([0.5, 0.5].map((p) => expect.closeTo(p, 6)));
  });

  it('refuses a runner whose input is not the metadata’s', () => {
    expect(() => new PortableModel(tinyMetadata({ input: { ...tinyMetadata().input, width: 3 } }), fakeRunner(0.5), null)).toThrow(/input is 2×2×3, its metadata says 2×3×3/);
  });
});

describe('readTile', () => {
  const photo = { rgb: toyTile('cocci', 5, 64), width: 64, height: 64 };

  it('ranks the classes, flags a top class below the referral level, and gives the closed-form Grad-CAM of the top class', async () => {
    const kernel = Float32Array.from([1, -1, 2, 3]); // 2 channels × 2 classes
    const model = new PortableModel(tinyMetadata({ referBelow: 0.9 }), fakeRunner(0.8), kernel);
    const reading = await readTile(model, photo, image(0.7));
    if (reading.prediction.refusal !== null) throw new Error('refused');
    expect(reading.prediction.top).toEqual({ label: 'b', probability: expect.closeTo(0.8, 6) });
    expect(reading.prediction.uncertain).toBe(true);
    expect(Array.from(reading.heatmap!.map)).toEqual(Array.from(camFromFeatures({ data: Float32Array.from([0.7, 0.7]), height: 1, width: 1, channels: 2 }, kernel, 1).map));
  });

  it('refuses a blank photo before running the model', async () => {
    const runner = fakeRunner(0.8);
    const blank = { rgb: new Uint8Array(64 * 64 * 3).fill(128), width: 64, height: 64 };
    const reading = await readTile(new PortableModel(tinyMetadata(), runner, null), blank, image(0.5));
    expect(reading.prediction.refusal?.code).toBe('blank');
    expect(reading.heatmap).toBeNull();
    expect(runner.calls).toEqual([]);
  });
});

describe('photoToInput', () => {
  const photo = { rgb: Uint8Array.from({ length: 4 * 2 * 3 }, (_, i) => i * 10), width: 4, height: 2 };

  it('keeps the pixels of a photo already at the input size', () => {
    const same = photoToInput(photo, { width: 4, height: 2, fit: 'cover' });
    expect(Array.from(same.data)).toEqual(Array.from(photo.rgb, (v) => expect.closeTo(v / 255, 6)));
  });

  it('crops the centre for cover and pads the sides for contain', () => {
    const cover = photoToInput(photo, { width: 2, height: 2, fit: 'cover' });
    // The centre 2×2 of the 4×2 photo: columns 1 and 2.
    expect(Array.from(cover.data.subarray(0, 3))).toEqual([30, 40, 50].map((v) => expect.closeTo(v / 255, 6)));
    const contain = photoToInput(photo, { width: 4, height: 4, fit: 'contain' });
    expect(Array.from(contain.data.subarray(0, 12)).every((v) => v === 0)).toBe(true);
    expect(Array.from(contain.data.subarray(12, 15))).toEqual([0, 10, 20].map((v) => expect.closeTo(v / 255, 6)));
  });
});

describe('the field path on decoded pixels', () => {
  let root: string;
  let bundle: ModelBundle;
  let fieldPhoto: Buffer;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'gl-portable-'));
    bundle = await loadBundle(await trainToyBundle(root));
    const field = generateField({ label: 'gpc_clusters', seed: 4, width: 480, height: 360, pxPerUm: 9 });
    fieldPhoto = await sharp(Buffer.from(field.rgb), { raw: { width: field.width, height: field.height, channels: 3 } }).png().toBuffer();
  }, 120_000);
  afterAll(async () => {
    await bundle?.dispose();
    await rm(root, { recursive: true, force: true });
  });

  it('processPixels tiles the decoded photo as processPhoto does from its bytes', async () => {
    const options = { tileSizePx: 16, targetPxPerUm: 2, sourcePxPerUm: 9 };
    const fromBytes = await processPhoto(fieldPhoto, options);
    const { rgb, width, height } = await decodePhoto(fieldPhoto);
    const fromPixels = processPixels(rgb, width, height, options);
    expect(fromPixels.quality).toEqual(fromBytes.quality);
    expect(fromPixels.tiles).toEqual(fromBytes.tiles);
  });

  it('a PortableModel over the ONNX model reads a field as the bundle’s predictField, layers included', async () => {
    const onnx = await OnnxClassifier.load(join(bundle.dir, 'model.onnx'), { threads: 1 });
    const model = new PortableModel(bundle.metadata, onnx, await bundle.denseKernel());
    try {
      const options = { pxPerUm: 9, force: true, explain: true };
      const served = await bundle.predictField(fieldPhoto, options);
      const read = await new FieldReader(model).read(await decodePhoto(fieldPhoto), options);
      expect(read.top).not.toBeNull();
      expect(read.classes).toEqual(served.classes);
      expect(read.tiles).toEqual(served.tiles);
      expect(read.decision).toEqual(served.decision);
      const { data } = await sharp(served.tileMap!.png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      expect(Buffer.from(read.tileMap!.rgba).equals(data)).toBe(true);
      expect(read.heatmap!.width).toBe(served.heatmap!.width);
    } finally {
      await model.dispose();
    }
  });

  it('a toy tile photo at the input size gets the same classes from readTile as from the served predictor', async () => {
    const tile = await sharp(toyTile('rods', 3, 16), { raw: { width: 16, height: 16, channels: 3 } }).png().toBuffer();
    const served = await bundle.predictWithHeatmap(tile);
    const decoded = await decodePhoto(tile);
    const read = await readTile(bundle, decoded, photoToInput(decoded, bundle.metadata.input));
    expect(read.prediction.classes).toEqual(served.prediction.classes.map(({ label, probability }) => ({ label, probability: expect.closeTo(probability, 6) })));
  });
});
