import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/index.ts';
import { readFolderDataset } from '../../src/data/index.ts';
import { datasetInputPxPerUm, parseCsv, readDatasetScale } from '../../src/data/index.ts';
import { OnnxClassifier } from '../../src/engine/onnx/index.ts';
import {
  BACKGROUND_TILE_ALPHA,
  BACKGROUND_TILE_COLOUR,
  FieldUnsupportedError,
  TILE_PALETTE,
  classColours,
  evaluateBundleFields,
  fitBundleFieldDecision,
  fitBundleFieldReferral,
  fitBundleFieldSignature,
  loadBundle,
  tileOwners,
  BundlePredictor,
  type FieldPrediction,
  type FieldPredictor,
  type ModelBundle,
} from '../../src/inference/index.ts';
import { DEFAULT_FIELD_DECISION, fieldUncertain } from '../../src/fields/index.ts';
import { FIELD_SIGNATURE_MARGIN, UNLIKE_FIELDS_REFUSAL } from '../../src/ood/index.ts';
import { multipart, startTestServer } from '../server/helpers.ts';
import { fitClassifier } from '../../src/pipeline/index.ts';
import { processPhoto } from '../../src/fields/index.ts';
import { uploadScale } from '../../src/preprocess/index.ts';
import { generateField } from '../../src/synth/index.ts';
import { createRng } from '../../src/util/index.ts';

const CLASSES = ['cocci', 'no_bacteria', 'rods'];
/** The toy dataset's tiles: 24 px at 3 px/µm, trained at 16 px, so the model's scale is 2 px/µm. */
const TILE_SIZE = 24;
const TILE_PX_PER_UM = 3;
const PHOTO_PX_PER_UM = 9;

/** Noisy 24×24 tiles: dark blobs (cocci), pale glass (no_bacteria), dark bars (rods); dataset.json declares their scale. */
async function writeToyTiles(root: string): Promise<void> {
  const rng = createRng(3);
  for (const label of CLASSES) {
    await mkdir(join(root, label), { recursive: true });
    for (let i = 0; i < 12; i++) {
      const pixels = Buffer.alloc(TILE_SIZE * TILE_SIZE * 3);
      for (let y = 0; y < TILE_SIZE; y++) {
        for (let x = 0; x < TILE_SIZE; x++) {
          const dark = label === 'cocci' ? (x - 12) ** 2 + (y - 12) ** 2 < 20 : label === 'rods' ? Math.abs(y - 12) < 2 : false;
          const base = dark ? [90, 40, 120] : [225, 205, 225];
          for (let c = 0; c < 3; c++) pixels[(y * TILE_SIZE + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(base[c] + 12 * rng.normal())));
        }
      }
      await sharp(pixels, { raw: { width: TILE_SIZE, height: TILE_SIZE, channels: 3 } }).png().toFile(join(root, label, `p${i % 4}_${i}.png`));
    }
  }
  await writeFile(join(root, 'dataset.json'), JSON.stringify({ generator: 'test', pxPerUm: TILE_PX_PER_UM, tileSize: TILE_SIZE }));
}

/**
 * A copy of a bundle whose out-of-distribution thresholds are `threshold`: a huge one accepts every
 * image (the toy model has never seen a synthetic field, and would rightly refuse one), -1 none.
 */
async function withOodThreshold(dir: string, threshold: number, name: string): Promise<string> {
  const copy = join(dir, '..', name);
  await cp(dir, copy, { recursive: true });
  const metadata = JSON.parse(await readFile(join(copy, 'metadata.json'), 'utf8'));
  metadata.ood.features.threshold = threshold;
  metadata.ood.colour.threshold = threshold;
  await writeFile(join(copy, 'metadata.json'), JSON.stringify(metadata));
  return copy;
}

async function jpeg(rgb: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(Buffer.from(rgb), { raw: { width, height, channels: 3 } }).jpeg({ quality: 92 }).toBuffer();
}

let root: string;
let bundleDir: string;
let trainedDir: string;
let bundle: ModelBundle;
let predictor: FieldPredictor;
let goodPhoto: Buffer;
let blurredPhoto: Buffer;
let darkPhoto: Buffer;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'gl-field-'));
  await writeToyTiles(join(root, 'tiles'));
  const result = await fitClassifier(await readFolderDataset(join(root, 'tiles')), {
    size: [16, 16],
    train: { model: 'resnet-small', width: 4, epochs: 2, batchSize: 8, learningRate: 0.01, patience: 0 },
    fractions: { train: 0.5, val: 0.25, test: 0.25 },
    runDir: join(root, 'run'),
    seed: 1,
  });
  trainedDir = result.bundleDir;
  bundleDir = await withOodThreshold(trainedDir, 1e300, 'model-accepting');
  bundle = await loadBundle(bundleDir);
  predictor = bundle.fieldPredictor();
  const field = generateField({ label: 'gpc_clusters', seed: 4, width: 480, height: 360, pxPerUm: PHOTO_PX_PER_UM });
  goodPhoto = await jpeg(field.rgb, field.width, field.height);
  blurredPhoto = await sharp(goodPhoto).blur(8).jpeg().toBuffer();
  darkPhoto = await sharp({ create: { width: 480, height: 360, channels: 3, background: { r: 3, g: 3, b: 4 } } }).jpeg().toBuffer();
}, 120_000);

afterAll(async () => {
  await bundle?.dispose();
});

describe('the scale of a model input', () => {
  it('is recorded in the bundle from the dataset’s dataset.json, scaled to the input size', async () => {
    expect(predictor.metadata.input.pxPerUm).toBeCloseTo((TILE_PX_PER_UM * 16) / TILE_SIZE, 10);
  });

  it('is read from the top level or from the synthetic generator’s options, for square inputs only', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gl-scale-'));
    expect(await readDatasetScale(dir)).toBeNull();
    await writeFile(join(dir, 'dataset.json'), JSON.stringify({ options: { pxPerUm: 9, tileSize: 96 } }));
    expect(await readDatasetScale(dir)).toEqual({ pxPerUm: 9, imageSize: 96 });
    expect(await datasetInputPxPerUm(dir, [64, 64])).toBe(6);
    expect(await datasetInputPxPerUm(dir, [64, 32])).toBeUndefined();
    await writeFile(join(dir, 'dataset.json'), JSON.stringify({ pxPerUm: 6, tileSize: 64, options: { pxPerUm: 9, tileSize: 96 } }));
    expect(await datasetInputPxPerUm(dir, [64, 64])).toBe(6);
    await writeFile(join(dir, 'dataset.json'), JSON.stringify({ pxPerUm: 'six' }));
    expect(await readDatasetScale(dir)).toBeNull();
  });
});

describe('tile map geometry', () => {
  it('splits the overlap of two tiles down the middle and leaves the rest unowned', () => {
    const owners = tileOwners(
      [
        { x: 0, y: 0, size: 10 },
        { x: 6, y: 0, size: 10 },
      ],
      18,
      11,
      1,
    );
    // Centres at x = 5 and 11: pixel 7 (centre 7.5) is nearer the first, pixel 8 the second.
    expect(Array.from(owners.subarray(0, 18))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1]);
    expect(Array.from(owners.subarray(10 * 18, 11 * 18)).every((owner) => owner === -1)).toBe(true);
    // Scaled to half size, the same split.
    expect(Array.from(tileOwners([{ x: 0, y: 0, size: 10 }, { x: 6, y: 0, size: 10 }], 9, 5, 0.5).subarray(0, 9))).toEqual([0, 0, 0, 0, 1, 1, 1, 1, -1]);
  });

  it('colours morphotypes from the palette in class order and the background class grey', () => {
    expect([...classColours(['a', 'empty', 'b'], 'empty')]).toEqual([
      ['a', TILE_PALETTE[0]],
      ['empty', BACKGROUND_TILE_COLOUR],
      ['b', TILE_PALETTE[1]],
    ]);
  });
});

async function rgba(png: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(4);
  return { data, width: info.width, height: info.height };
}

describe('predicting a whole field', () => {
  let good: FieldPrediction;

  beforeAll(async () => {
    good = await predictor.predict(goodPhoto, { pxPerUm: PHOTO_PX_PER_UM, explain: true });
  });

  it('predicts a good photo from the tiles of its field of view, at the model’s scale', () => {
    expect(good.quality).toMatchObject({ ok: true, reasons: [] });
    expect(good.decision).not.toBeNull();
    expect(good.forced).toBe(false);
    expect(good.warnings).toEqual([]);
    expect(good.scale).toEqual({ photoPxPerUm: PHOTO_PX_PER_UM, photoPxPerUmEstimated: false, modelPxPerUm: 2, tilePx: 72 });
    expect(good.tiles.length).toBeGreaterThan(8);
    const fov = good.quality.fov!;
    for (const tile of good.tiles) {
      expect(tile.size).toBeCloseTo(72, 6);
      expect(tile.insideFraction).toBeGreaterThanOrEqual(0.9);
      expect(Math.hypot(tile.x + tile.size / 2 - fov.cx, tile.y + tile.size / 2 - fov.cy)).toBeLessThan(fov.r);
      if (tile.background) expect(tile).toMatchObject({ label: 'no_bacteria', probability: 1 });
      else expect(CLASSES).toContain(tile.label);
    }
    expect(good.tiles.some((tile) => !tile.background)).toBe(true);
  });

  it('gives field probabilities that sum to 1, ranked, with the label and its morphotypes', () => {
    const decision = good.decision!;
    expect(decision.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(good.classes.map((c) => c.label).sort()).toEqual(CLASSES);
    expect(good.classes.reduce((sum, c) => sum + c.probability, 0)).toBeCloseTo(1, 5);
    expect(good.classes[0].probability).toBeGreaterThanOrEqual(good.classes[1].probability);
    expect(good.top).toEqual({ label: decision.label, probability: Math.fround(decision.probabilities[CLASSES.indexOf(decision.label)]) });
    expect(good.top!.probability).toBe(Math.fround(decision.probability));
    // The top class is its entry in the class list, to the last bit (what POST /api/predictions/sync checks).
    expect(good.classes.find((c) => c.label === good.top!.label)!.probability).toBe(good.top!.probability);
    expect(decision.multiple).toBe(decision.findings.length >= 2);
    for (const tile of good.tiles) {
      expect(tile.probabilities).toHaveLength(CLASSES.length);
      expect(tile.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(tile.probabilities[CLASSES.indexOf(tile.label)]).toBe(tile.probability);
      if (tile.background) expect(tile.probabilities).toEqual(CLASSES.map((name) => (name === 'no_bacteria' ? 1 : 0)));
    }
    expect(good.timings.inferenceMs).toBeGreaterThan(0);
    expect(good.timings.totalMs).toBeGreaterThanOrEqual(good.timings.decodeMs + good.timings.qualityMs + good.timings.tilingMs + good.timings.inferenceMs);
  });

  it('counts each class once: the tiles read whose most likely class it is, for the morphotypes and the legend alike', () => {
    const read = good.tiles.filter((tile) => !tile.background);
    expect(good.legend.map((entry) => entry.label)).toEqual([...new Set(read.map((tile) => tile.label))].sort((a, b) => read.filter((t) => t.label === b).length - read.filter((t) => t.label === a).length || CLASSES.indexOf(a) - CLASSES.indexOf(b)));
    for (const entry of good.legend) {
      expect(entry.tiles).toBe(read.filter((tile) => tile.label === entry.label).length);
      expect(entry.confidentTiles).toBe(read.filter((tile) => tile.label === entry.label && tile.probability >= DEFAULT_FIELD_DECISION.presenceThreshold).length);
    }
    expect(good.decision!.morphotypes.length).toBeGreaterThan(0);
    for (const morphotype of good.decision!.morphotypes) {
      const entry = good.legend.find((e) => e.label === morphotype.label)!;
      expect([morphotype.tileCount, morphotype.confidentTiles]).toEqual([entry.tiles, entry.confidentTiles]);
    }
  });

  it('draws a transparent tile map of the photo’s aspect, coloured only on the tiles the model read', async () => {
    const map = good.tileMap!;
    const { data, width, height } = await rgba(map.png);
    expect([width, height]).toEqual([480, 360]);
    expect([map.width, map.height, map.scale]).toEqual([480, 360, 1]);
    const alphaAt = (x: number, y: number) => data[(Math.round(y) * width + Math.round(x)) * 4 + 3];
    expect(alphaAt(0, 0)).toBe(0);
    expect(alphaAt(width - 1, height - 1)).toBe(0);
    const centre = (tile: { x: number; y: number; size: number }) => [tile.x + tile.size / 2, tile.y + tile.size / 2] as const;
    for (const read of good.tiles.filter((tile) => !tile.background)) {
      const faint = read.label === 'no_bacteria' ? BACKGROUND_TILE_ALPHA : 1;
      expect(alphaAt(...centre(read))).toBe(Math.round(255 * read.probability * faint));
      const at = (Math.round(centre(read)[1]) * width + Math.round(centre(read)[0])) * 4;
      const hex = `#${[0, 1, 2].map((c) => data[at + c].toString(16).padStart(2, '0')).join('')}`.toUpperCase();
      expect(hex).toBe(good.legend.find((entry) => entry.label === read.label)!.colour);
    }
    for (const tile of good.tiles.filter((t) => t.background)) expect(alphaAt(...centre(tile))).toBe(0);
    expect(good.legend.reduce((sum, entry) => sum + entry.tiles, 0)).toBe(good.tiles.filter((tile) => !tile.background).length);
  });

  it('lays the Grad-CAM of the field’s label over the same tiles', async () => {
    const { data, width, height } = await rgba(good.heatmap!.png);
    expect(width / height).toBeCloseTo(480 / 360, 2);
    expect(data[3]).toBe(0);
    const read = good.tiles.find((tile) => !tile.background)!;
    const scale = good.heatmap!.scale;
    const at = (Math.round((read.y + read.size / 2) * scale) * width + Math.round((read.x + read.size / 2) * scale)) * 4;
    expect(data[at + 3]).toBe(255);
  });

  it('refuses a photo that fails the quality check with its reasons, without inference', async () => {
    const run = vi.spyOn(OnnxClassifier.prototype, 'run');
    try {
      const blurred = await predictor.predict(blurredPhoto, { pxPerUm: PHOTO_PX_PER_UM });
      expect(blurred.quality.ok).toBe(false);
      expect(blurred.quality.reasons).toContain('out of focus');
      expect(blurred).toMatchObject({ decision: null, top: null, classes: [], tileMap: null, heatmap: null, forced: false });
      expect(blurred.refusal).toEqual({ code: 'quality', reason: `the photo failed the quality check (${blurred.quality.reasons.join(', ')})`, qualityReasons: blurred.quality.reasons });
      expect(blurred.tiles.every((tile) => tile.label === 'no_bacteria' && tile.probability === 1)).toBe(true);
      expect(blurred.timings.inferenceMs).toBe(0);

      const dark = await predictor.predict(darkPhoto);
      expect(dark.quality.reasons).toEqual(expect.arrayContaining(['no field of view']));
      expect(dark.decision).toBeNull();
      expect(dark.tiles).toEqual([]);
      expect(run).not.toHaveBeenCalled();

      // A dark frame is also a blank one: refused whatever force says.
      const forcedDark = await predictor.predict(darkPhoto, { force: true });
      expect(forcedDark.decision).toBeNull();
      expect(forcedDark.refusal?.code).toBe('blank');
      expect(run).not.toHaveBeenCalled();
    } finally {
      run.mockRestore();
    }
  });

  it('predicts anyway when forced, and marks it', async () => {
    const forced = await predictor.predict(blurredPhoto, { pxPerUm: PHOTO_PX_PER_UM, force: true });
    expect(forced.quality.ok).toBe(false);
    expect(forced.forced).toBe(true);
    expect(forced.decision).not.toBeNull();
    expect(forced.refusal).toBeNull();
    expect(forced.tileMap).not.toBeNull();
  });

  it('warns when the photo’s scale is unknown, and refuses bad settings', async () => {
    const unscaled = await predictor.predict(goodPhoto);
    expect(unscaled.warnings[0]).toMatch(/the photo's scale is unknown \(no pxPerUm\) and too few stained objects to estimate it/);
    expect(unscaled.scale).toMatchObject({ photoPxPerUm: null, photoPxPerUmEstimated: false, tilePx: 16 });
    await expect(predictor.predict(goodPhoto, { pxPerUm: -1 })).rejects.toThrow(/pxPerUm must be a positive number/);
    expect(() => bundle.fieldPredictor({ backgroundClass: 'glass' })).toThrow(FieldUnsupportedError);
    expect(() => bundle.fieldPredictor({ backgroundClass: 'glass' })).toThrow(/no class "glass" for organism-free tiles/);
    const aborted = new AbortController();
    aborted.abort();
    await expect(predictor.predict(goodPhoto, { signal: aborted.signal })).rejects.toThrow();
  });
});

describe('a photo shrunk before upload', () => {
  it('gets the same answer as the full photo when sent with its scale shrunk alike', async () => {
    const modelPxPerUm = predictor.metadata.input.pxPerUm!;
    for (const [label, seed] of [['gpc_clusters', 11], ['gnr', 12], ['no_bacteria', 13], ['polymicrobial', 14]] as const) {
      const field = generateField({ label, seed, width: 960, height: 720, pxPerUm: PHOTO_PX_PER_UM });
      const full = await jpeg(field.rgb, field.width, field.height);
      // As the web app does it: uploadScale, a smooth resize, JPEG at 0.9.
      const factor = uploadScale({ width: field.width, height: field.height, photoPxPerUm: PHOTO_PX_PER_UM, modelPxPerUm });
      expect(factor).toBeLessThan(0.5);
      const width = Math.round(field.width * factor);
      const shrunk = await sharp(full).resize(width, Math.round(field.height * factor), { kernel: 'lanczos3' }).jpeg({ quality: 90 }).toBuffer();
      expect(shrunk.length).toBeLessThan(full.length / 2);
      const fromFull = await predictor.predict(full, { pxPerUm: PHOTO_PX_PER_UM, force: true });
      const fromShrunk = await predictor.predict(shrunk, { pxPerUm: (PHOTO_PX_PER_UM * width) / field.width, force: true });
      expect(fromFull.decision, label).not.toBeNull();
      expect(fromShrunk.decision?.label, label).toBe(fromFull.decision!.label);
      // Tiled at the same physical size: about as many tiles (the field of view's edge may move by a pixel).
      expect(Math.abs(fromShrunk.tiles.length - fromFull.tiles.length), label).toBeLessThanOrEqual(0.05 * fromFull.tiles.length);
    }
  });
});

describe('the served model', () => {
  it('reads single images and whole fields with one ONNX session, the same numbers as the bundle gives, and swaps it on activation', async () => {
    const sessions = vi.spyOn(OnnxClassifier, 'load');
    const released = vi.spyOn(OnnxClassifier.prototype, 'dispose');
    const served = await BundlePredictor.load(bundleDir);
    try {
      // A tile-sized crop of the photo is read as one image; the photo itself, far larger than the model's 16 px input, as a whole field.
      const crop = await sharp(goodPhoto).extract({ left: 200, top: 140, width: 48, height: 48 }).png().toBuffer();
      const single = await served.predict(crop);
      const field = await served.predictField(goodPhoto, { pxPerUm: PHOTO_PX_PER_UM, force: false });
      const routed = await served.predict(goodPhoto);
      expect(sessions).toHaveBeenCalledTimes(1);

      const [direct] = await bundle.predict([crop]);
      if ('wholeField' in single || single.refusal || direct.refusal) throw new Error('the crop was not answered as one image');
      expect(single).toMatchObject({ classes: direct.classes, top: direct.top, uncertain: direct.uncertain });
      expect(await sharp(single.heatmapPng!).metadata()).toMatchObject({ width: 48, height: 48, channels: 4 });
      const fieldDirect = await bundle.predictField(goodPhoto, { pxPerUm: PHOTO_PX_PER_UM, explain: true });
      const answer = field.prediction;
      if (!answer || answer.refusal) throw new Error('the field was not answered');
      expect(answer).toMatchObject({ classes: fieldDirect.classes, top: fieldDirect.top, field: { label: fieldDirect.decision!.label } });
      // The served summary: each morphotype's tiles are its legend entry's.
      const summary = answer.field!;
      expect(summary.morphotypes.length).toBeGreaterThan(0);
      for (const m of summary.morphotypes) expect(summary.legend.find((entry) => entry.label === m.label)).toMatchObject({ tiles: m.tileCount, confidentTiles: m.confidentTiles });
      expect(answer.tileMapPng).toEqual(fieldDirect.tileMap!.png);
      expect(answer.heatmapPng).toEqual(fieldDirect.heatmap!.png);
      expect(routed).toMatchObject({ wholeField: "the photo (480×360) is far larger than the model's 16 px input: read as a whole microscope field" });
      expect('wholeField' in routed).toBe(true);

      // the bundle already loaded (a server starting on the model it was given) is kept as it is
      await served.activate({ path: bundleDir });
      expect(sessions).toHaveBeenCalledTimes(1);
      expect(released).not.toHaveBeenCalled();
      const another = `${bundleDir}-copy`;
      await cp(bundleDir, another, { recursive: true });
      await served.activate({ path: another });
      expect(sessions).toHaveBeenCalledTimes(2);
      expect(released).toHaveBeenCalledTimes(1);
    } finally {
      sessions.mockRestore();
      released.mockRestore();
      await served.dispose();
    }
  });
});

describe('a loaded bundle', () => {
  it('reads the TF.js model only when something needs it, and frees it on dispose', async () => {
    const before = tf.memory().numTensors;
    const loaded = await loadBundle(bundleDir);
    await loaded.predict([goodPhoto]);
    await loaded.predictField(goodPhoto, { pxPerUm: PHOTO_PX_PER_UM });
    expect(tf.memory().numTensors).toBe(before);
    const channels = (await loaded.tfModel()).getLayer('features').outputShape.at(-1) as number;
    expect(await loaded.denseKernel()).toHaveLength(channels * loaded.classes.length);
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    await loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('the toy bundle’s numbers', () => {
  const closeTo = (actual: readonly number[], expected: readonly number[]) => actual.forEach((value, i) => expect(value).toBeCloseTo(expected[i], 6));

  it('are those the classifier and the field predictor gave before they shared one loaded bundle', async () => {
    const [single] = await bundle.predict([goodPhoto]);
    expect(single.classes.map((c) => c.label)).toEqual(['cocci', 'no_bacteria', 'rods']);
    closeTo(single.classes.map((c) => c.probability), [0.9063100218772888, 0.060499317944049835, 0.033190641552209854]);

    const field = await bundle.predictField(goodPhoto, { pxPerUm: PHOTO_PX_PER_UM });
    expect(field.decision).toMatchObject({ label: 'cocci', morphotypes: [{ label: 'cocci', tileCount: 26 }], multiple: false });
    closeTo(field.decision!.probabilities, [0.8841293420041509, 0.06806716780763769, 0.047803492007387954]);
    expect([field.tiles.length, field.tiles.filter((tile) => !tile.background).length]).toEqual([28, 26]);
    const first = field.tiles.find((tile) => !tile.background)!;
    expect(first).toMatchObject({ x: 111, y: 9, size: 72, label: 'cocci' });
    closeTo(first.probabilities, [0.8227074146270752, 0.09486968070268631, 0.0824228823184967]);
  });
});

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t), signal: new AbortController().signal });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('fitting and measuring the field decision on labelled photos', () => {
  it('fits the rule on photos read through the field path, stores it in the bundle, and scores photos with it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gl-field-fit-'));
    await cp(bundleDir, join(dir, 'model'), { recursive: true });
    const model = join(dir, 'model');
    const empty = generateField({ label: 'no_bacteria', seed: 2, width: 480, height: 360, pxPerUm: PHOTO_PX_PER_UM });
    await writeFile(join(dir, 'good.jpg'), goodPhoto);
    await writeFile(join(dir, 'empty.jpg'), await jpeg(empty.rgb, empty.width, empty.height));
    const photos = [
      { path: join(dir, 'good.jpg'), label: 'cocci' },
      { path: join(dir, 'empty.jpg'), label: 'no_bacteria' },
    ];
    const groups = [{ name: 'bacteria', members: ['cocci', 'rods'] }];
    const progress: number[] = [];
    const fitted = await fitBundleFieldDecision(model, photos, { pxPerUm: PHOTO_PX_PER_UM, groups, onProgress: (done) => progress.push(done) });
    expect(progress).toEqual([1, 2]);
    expect(fitted.fields).toBe(2);
    expect(fitted.rule).toEqual({ ...fitted.params, groups });
    expect(JSON.parse(await readFile(join(model, 'metadata.json'), 'utf8')).fieldDecision).toEqual(fitted.rule);

    const evaluation = await evaluateBundleFields(model, photos, { pxPerUm: PHOTO_PX_PER_UM });
    const loaded = await loadBundle(model);
    try {
      for (const [i, photo] of photos.entries()) {
        const { decision } = await loaded.predictField(await readFile(photo.path), { pxPerUm: PHOTO_PX_PER_UM, force: true });
        expect(evaluation.outcomes[i]).toMatchObject({ truth: photo.label, answer: decision!.label, multiple: decision!.multiple });
      }
    } finally {
      await loaded.dispose();
    }
    // The fitted rule is the one that scored best on these photos, so it scores the same here.
    expect(evaluation.macroF1).toBeCloseTo(fitted.macroF1, 12);
    expect(evaluation.accuracy).toBe(evaluation.outcomes.filter((o) => o.scored === CLASSES.indexOf(o.truth)).length / 2);
    await expect(evaluateBundleFields(model, [{ path: photos[0].path, label: 'spores' }])).rejects.toThrow(/label "spores" is not one of the model's classes/);

    // The field's own referral, fitted on the same photos: the least evidence of a right answer, the most unfamiliar tiles of any.
    const referral = await fitBundleFieldReferral(model, photos, { pxPerUm: PHOTO_PX_PER_UM });
    expect(JSON.parse(await readFile(join(model, 'metadata.json'), 'utf8')).fieldDecision).toEqual({ ...fitted.rule, referral });
    const refitted = await loadBundle(model);
    try {
      const fields = await Promise.all(photos.map(async (photo) => refitted.predictField(await readFile(photo.path), { pxPerUm: PHOTO_PX_PER_UM, force: true })));
      const unfamiliarShare = (field: (typeof fields)[number]) => field.tiles.filter((t) => t.unfamiliar).length / Math.max(1, field.tiles.filter((t) => !t.background).length);
      const rightShares = fields.flatMap((field, i) => (evaluation.outcomes[i].scored === CLASSES.indexOf(photos[i].label) && field.decision!.evidenceShare !== null ? [field.decision!.evidenceShare] : []));
      expect(referral.minEvidenceShare).toBe(Math.min(...rightShares));
      expect(referral.maxUnfamiliarShare).toBe(Math.max(...fields.map(unfamiliarShare)));
      for (const field of fields) expect(field.uncertain).toBe(fieldUncertain(field.decision!, unfamiliarShare(field), referral, refitted.metadata.referBelow ?? 0));
    } finally {
      await refitted.dispose();
    }
  });
});

describe('gramlens predict --field', () => {
  it('prints the quality reasons first and exits 0 with a refusal when the photo fails', async () => {
    const file = join(root, 'blurred.jpg');
    await writeFile(file, blurredPhoto);
    const result = await cli('predict', bundleDir, file, '--field', '--px-per-um', String(PHOTO_PX_PER_UM));
    expect(result.code).toBe(0);
    const lines = result.out.split('\n');
    expect(lines[1]).toMatch(/^ {2}quality: FAILED/);
    expect(lines[2]).toBe('    - out of focus');
    expect(result.out).toMatch(/this is not something I can read: the photo failed the quality check \(out of focus[^)]*\) \(--force predicts anyway\)/);
    expect(result.out).not.toContain('field:');
  });

  it('prints the field, its morphotypes and timings, writes the tile map and JSON', async () => {
    const file = join(root, 'good.jpg');
    await writeFile(file, goodPhoto);
    const map = join(root, 'tiles.png');
    const text = await cli('predict', bundleDir, file, '--field', '--px-per-um', String(PHOTO_PX_PER_UM), '--tile-map', map);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(/quality: ok/);
    expect(text.out).toMatch(/field: \w+/);
    expect(text.out).toMatch(/morphotypes present: (none|\w+ \(\d+ tiles, \d+ confident\))/);
    expect(text.out).toMatch(/multiple morphotypes: (yes|no)/);
    expect(text.out).toMatch(/timings: decode \d+ ms, quality \d+ ms, checks \d+ ms, tiling \d+ ms, inference \d+ ms/);
    expect((await sharp(await readFile(map)).metadata()).width).toBe(480);

    const json = await cli('predict', bundleDir, file, '--field', '--px-per-um', String(PHOTO_PX_PER_UM), '--json');
    const [parsed] = JSON.parse(json.out);
    expect(parsed.decision.label).toBeDefined();
    expect(parsed.tileMap).toEqual({ width: 480, height: 360, scale: 1 });
    expect(await cli('predict', bundleDir, file, '--force')).toMatchObject({ code: 2, err: expect.stringContaining('--force goes with --field') });
  });

  it('combines the fields of one specimen with --specimen, leaving out photos that failed the check', async () => {
    const good = join(root, 'good.jpg');
    const blurred = join(root, 'blurred.jpg');
    await writeFile(good, goodPhoto);
    await writeFile(blurred, blurredPhoto);
    const json = await cli('predict', bundleDir, good, blurred, '--field', '--px-per-um', String(PHOTO_PX_PER_UM), '--specimen', '--json');
    expect(json.code, json.err).toBe(0);
    const { fields, specimen } = JSON.parse(json.out);
    expect(fields).toHaveLength(2);
    expect(fields[1].decision).toBeNull();
    expect(specimen.fields).toBe(1);
    expect(specimen.label).toBe(fields[0].decision.label);
    const text = await cli('predict', bundleDir, good, blurred, '--field', '--px-per-um', String(PHOTO_PX_PER_UM), '--specimen');
    expect(text.out).toContain(`specimen (1 of 2 photos predicted): ${specimen.label}`);
    const none = await cli('predict', bundleDir, blurred, '--field', '--px-per-um', String(PHOTO_PX_PER_UM), '--specimen');
    expect(none.out).toContain('specimen (1 photo): no prediction, no photo passed the checks');
  });
});

describe('refusals', () => {
  let strict: ModelBundle;
  let blankPhoto: Buffer;
  let crop: Buffer;

  beforeAll(async () => {
    strict = await loadBundle(await withOodThreshold(trainedDir, -1, 'model-refusing'));
    blankPhoto = await sharp({ create: { width: 480, height: 360, channels: 3, background: { r: 255, g: 255, b: 255 } } }).jpeg().toBuffer();
    crop = await sharp(goodPhoto).extract({ left: 200, top: 140, width: 48, height: 48 }).png().toBuffer();
  });

  afterAll(async () => {
    await strict?.dispose();
  });

  it('were fitted at training: the toy model finds the synthetic field unlike its toy tiles', async () => {
    const trained = await loadBundle(trainedDir);
    try {
      const field = await trained.predictField(goodPhoto, { pxPerUm: PHOTO_PX_PER_UM });
      expect(field.refusal).toMatchObject({ code: 'unfamiliar', tiles: { read: 26 } });
      expect(field.refusal!.tiles!.unfamiliar * 2).toBeGreaterThan(26);
      expect(field).toMatchObject({ decision: null, top: null, classes: [], tileMap: null });
    } finally {
      await trained.dispose();
    }
  });

  it('refuse a blank photo before anything else, in tile and field mode, even when forced', async () => {
    const run = vi.spyOn(OnnxClassifier.prototype, 'run');
    try {
      const field = await bundle.predictField(blankPhoto, { force: true });
      expect(field.refusal).toEqual({ code: 'blank', reason: 'the image is blank or almost uniform' });
      expect(field).toMatchObject({ decision: null, top: null, classes: [], forced: false });
      const [tile] = await bundle.predict([await sharp(blankPhoto).resize(48, 48).png().toBuffer()]);
      expect(tile).toMatchObject({ refusal: { code: 'blank' }, classes: [], top: null, uncertain: false });
      expect(run).not.toHaveBeenCalled();
    } finally {
      run.mockRestore();
    }
  });

  it('refuse an image or a field whose embedding is beyond the threshold, with no class and no heatmap', async () => {
    const [tile] = await strict.predict([crop]);
    expect(tile).toEqual({ source: '#0', refusal: { code: 'unfamiliar', reason: 'it is unlike anything the model was trained on' }, classes: [], top: null, uncertain: false });
    expect(await strict.predictWithHeatmap(crop)).toMatchObject({ prediction: { refusal: { code: 'unfamiliar' } }, heatmap: null });
    const field = await strict.predictField(goodPhoto, { pxPerUm: PHOTO_PX_PER_UM, explain: true });
    expect(field.refusal).toEqual({ code: 'unfamiliar', reason: 'most of the field (26 of the 26 tiles read) is unlike anything the model was trained on', tiles: { read: 26, unfamiliar: 26 } });
    expect(field).toMatchObject({ decision: null, tileMap: null, heatmap: null, legend: [] });
  });

  it('answer a field with a few unfamiliar tiles, leaving them out of its answer and its tile map', async () => {
    const { tiles } = await processPhoto(goodPhoto, { tileSizePx: 16, targetPxPerUm: 2, sourcePxPerUm: PHOTO_PX_PER_UM });
    const images = tiles.filter((tile) => !tile.background).map((tile) => ({ data: tile.rgb, height: tile.size, width: tile.size, channels: 3 }));
    expect(images).toHaveLength(26);
    const { features } = await strict.infer(images, { features: true });
    const scores = images.map((image, i) => Math.max(strict.guard.scores({ image, features: features![i] }).features!, strict.guard.scores({ image, features: null }).colour!));
    // Thresholds just under the third highest score of either kind: at least three tiles stand out, far from most.
    const cut = [...scores].sort((a, b) => b - a)[2];
    const lenient = await loadBundle(await withOodThreshold(trainedDir, cut - 1e-9, 'model-three-odd'));
    try {
      const field = await lenient.predictField(goodPhoto, { pxPerUm: PHOTO_PX_PER_UM });
      const odd = field.tiles.filter((tile) => tile.unfamiliar);
      expect(odd.length).toBeGreaterThanOrEqual(3);
      expect(field.refusal).toBeNull();
      expect(field.warnings).toContain(`${odd.length} of the 26 tiles read are unlike the model's training images: left out of the field's answer`);
      expect(field.legend.reduce((sum, entry) => sum + entry.tiles, 0)).toBe(26 - odd.length);
    } finally {
      await lenient.dispose();
    }
  });

  it('refuse a whole field unlike the validation fields, fitted on them, in the API answer and the audit trail', async () => {
    const dir = await withOodThreshold(trainedDir, 1e300, 'model-field-signature');
    const photos = [];
    for (const [i, label] of (['gpc_clusters', 'gnr', 'no_bacteria'] as const).entries()) {
      const field = generateField({ label, seed: 20 + i, width: 480, height: 360, pxPerUm: PHOTO_PX_PER_UM });
      const path = join(root, `signature-${label}.jpg`);
      await writeFile(path, await jpeg(field.rgb, field.width, field.height));
      photos.push({ path, label });
    }
    const fitted = await fitBundleFieldSignature(dir, photos, { pxPerUm: PHOTO_PX_PER_UM });
    // Three fields in two dimensions, with their own covariance: each is (n − 1)² / n = 4/3 from their mean.
    expect(fitted.validation).toEqual({ fields: 3, largest: expect.closeTo(4 / 3, 4) });
    expect(fitted.threshold).toBeCloseTo(FIELD_SIGNATURE_MARGIN * (4 / 3), 4);
    const stored = JSON.parse(await readFile(join(dir, 'metadata.json'), 'utf8'));
    expect(stored.ood.field).toEqual(fitted);
    expect(stored.ood.features.threshold).toBe(1e300);

    const fitting = await loadBundle(dir);
    try {
      expect(fitting.guard.notices).toEqual([]);
      const answered = await fitting.predictField(await readFile(photos[1].path), { pxPerUm: PHOTO_PX_PER_UM });
      expect(answered.refusal).toBeNull();
      expect(answered.signature).toEqual({ stainedObjects: expect.any(Number), organismFreeShare: expect.any(Number) });
    } finally {
      await fitting.dispose();
    }

    // A threshold below every distance: whatever the tiles say, the field as a whole is refused.
    stored.ood.field.threshold = -1;
    await writeFile(join(dir, 'metadata.json'), JSON.stringify(stored));
    const server = await startTestServer({ predictor: await BundlePredictor.load(dir) });
    try {
      const form = multipart([{ name: 'image', filename: 'field.jpg', data: await readFile(photos[1].path) }, { name: 'specimenType', value: 'sputum' }, { name: 'force', value: 'true' }]);
      const response = await server.as('clinician', { method: 'POST', url: '/api/predict/field', ...form });
      expect(response.statusCode).toBe(201);
      const { prediction } = response.json();
      expect(prediction).toMatchObject({ refusal: UNLIKE_FIELDS_REFUSAL, classes: [], top: null });
      const audit = parseCsv((await server.as('admin', { method: 'GET', url: '/api/audit.csv' })).body).map((row) => row.fields);
      const row = audit.find((fields) => fields[0] === prediction.id)!;
      expect(row[audit[0].indexOf('refusal')]).toBe(`unfamiliar: ${UNLIKE_FIELDS_REFUSAL.reason}`);
      expect(row[audit[0].indexOf('top_class')]).toBe('');
    } finally {
      await server.close();
      await rm(dir, { recursive: true });
    }
  });

  it('of a bundle trained before them: image checks only, said once by whoever loads it', async () => {
    const dir = await withOodThreshold(trainedDir, 1, 'model-old');
    const metadata = JSON.parse(await readFile(join(dir, 'metadata.json'), 'utf8'));
    delete metadata.ood;
    await writeFile(join(dir, 'metadata.json'), JSON.stringify(metadata));
    const old = await loadBundle(dir);
    try {
      expect(old.guard.notices).toEqual([expect.stringMatching(/^this model bundle has no out-of-distribution statistics .*only the image checks \(blank, noise, greyscale, dark, colours, page, drawing\)/)]);
      expect(bundle.guard.notices).toEqual([expect.stringMatching(/^this model bundle has no field signature .*: a whole field is refused only when most of its tiles are unlike the training images$/)]);
      expect((await old.predict([crop]))[0].refusal).toBeNull();
      expect((await old.predict([await sharp(blankPhoto).resize(48, 48).png().toBuffer()]))[0].refusal?.code).toBe('blank');
    } finally {
      await old.dispose();
      await rm(dir, { recursive: true });
    }
  });

  it('route a photo far larger than the model input to the field path, or refuse it when the bundle cannot read fields', async () => {
    expect(await bundle.routePhoto(goodPhoto)).toEqual({ kind: 'field', reason: "the photo (480×360) is far larger than the model's 16 px input: read as a whole microscope field" });
    expect(await bundle.routePhoto(crop)).toEqual({ kind: 'image' });
    const tfjs = await loadBundle(bundleDir, { runtime: 'tfjs' });
    try {
      expect(await tfjs.routePhoto(goodPhoto)).toEqual({
        kind: 'refuse',
        refusal: { code: 'field-unsupported', reason: expect.stringMatching(/^the photo \(480×360\) is far larger than the model's 16 px input, and this model cannot read whole fields \(whole-field prediction runs on the ONNX model/) },
      });
    } finally {
      await tfjs.dispose();
    }
  });

  it('are printed by gramlens predict, which reads a large photo as a whole field by default', async () => {
    const blank = join(root, 'blank.jpg');
    const good = join(root, 'good.jpg');
    await writeFile(blank, blankPhoto);
    await writeFile(good, goodPhoto);
    const text = await cli('predict', bundleDir, blank, good);
    expect(text.code, text.err).toBe(0);
    const lines = text.out.split('\n');
    expect(lines[0]).toBe(`${blank}: the photo (480×360) is far larger than the model's 16 px input: read as a whole microscope field`);
    expect(text.out).toContain('  this is not something I can read: the image is blank or almost uniform');
    expect(text.out).toContain(`${good}: the photo (480×360) is far larger than the model's 16 px input: read as a whole microscope field\n  quality: `);
    const json = JSON.parse((await cli('predict', bundleDir, blank, '--json')).out);
    expect(json[0]).toMatchObject({ wholeField: expect.stringContaining('read as a whole microscope field'), refusal: { code: 'blank' }, decision: null });
    const small = join(root, 'blank-tile.png');
    await writeFile(small, await sharp(blankPhoto).resize(48, 48).png().toBuffer());
    expect((await cli('predict', bundleDir, small)).out).toBe(`${small}: this is not something I can read: the image is blank or almost uniform`);
    expect(JSON.parse((await cli('predict', bundleDir, small, '--json')).out)).toEqual([
      { source: small, refusal: { code: 'blank', reason: 'the image is blank or almost uniform' }, classes: [], top: null, uncertain: false },
    ]);
  });

  it('names the photo it cannot read: skips an unreadable one, stops at one that breaks while decoding', async () => {
    const good = join(root, 'good.jpg');
    const broken = join(root, 'broken.jpg');
    const truncated = join(root, 'truncated.jpg');
    await writeFile(good, goodPhoto);
    await writeFile(broken, 'not a photo at all');
    await writeFile(truncated, goodPhoto.subarray(0, Math.floor(goodPhoto.length / 3)));
    const result = await cli('predict', bundleDir, good, broken, '--field', '--px-per-um', String(PHOTO_PX_PER_UM));
    expect(result.code, result.err).toBe(0);
    expect(result.out).toMatch(/field: \w+/);
    expect(result.err).toMatch(/skipped .*broken\.jpg: /);
    expect(result.err).toContain('skipped 1 unreadable image(s) of 2');
    const stopped = await cli('predict', bundleDir, truncated, '--field', '--px-per-um', String(PHOTO_PX_PER_UM));
    expect(stopped.code).toBe(1);
    expect(stopped.err).toMatch(/truncated\.jpg: /);
  });
});
