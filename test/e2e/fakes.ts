import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { applyColourMap } from '../../src/explain/colour-map.ts';
import type { FieldPredictorResult, PredictorResult, Refusal, WholeFieldResult } from '../../src/contract/index.ts';
import type { Predictor, Trainer } from '../../src/server/index.ts';
import type { ModelRecord } from '../../src/store/index.ts';
import { generateField, generateTile, LABEL_TREE, type ClassId } from '../../src/synth/index.ts';
import { createRng } from '../../src/util/index.ts';

/** Fixed probabilities over the 9 synthetic Gram-stain classes, most probable first. */
/** The version the fake predictor answers with (and every bundle has, to the test server). */
export const FAKE_MODEL_VERSION = 'fake-gram-1';

export const FAKE_CLASSES = [
  { label: 'gpc_clusters', probability: 0.62 },
  { label: 'gpc_chains', probability: 0.14 },
  { label: 'gpc_diplococci', probability: 0.06 },
  { label: 'gpr', probability: 0.05 },
  { label: 'gnr', probability: 0.05 },
  { label: 'gnc', probability: 0.03 },
  { label: 'yeast', probability: 0.02 },
  { label: 'no_bacteria', probability: 0.02 },
  { label: 'polymicrobial', probability: 0.01 },
];

export interface FakePredictor extends Predictor {
  /** The next predictions say "uncertain" while true. */
  uncertain: boolean;
  activated: ModelRecord[];
  /** Whole-field photos pass the quality check while true; otherwise they fail it (out of focus, too dark) unless forced. */
  fieldQualityOk: boolean;
  fieldCalls: { pxPerUm?: number; force: boolean }[];
  /** The next single images are refused with this while set. */
  refusal: Refusal | null;
  /** The next single images are read as whole fields (as a photo far larger than the model's input is) while true. */
  readAsField: boolean;
  /** Each answer waits this long (a slow server). */
  delayMs: number;
  /** The photos received, as sent. */
  received: Buffer[];
}

/** A tile map over a 4:3 photo: a few squares in class colours, transparent elsewhere. */
async function tileMapPng(width = 160, height = 120): Promise<Buffer> {
  const squares = [
    { left: 40, top: 30, colour: { r: 240, g: 228, b: 66, alpha: 0.9 } },
    { left: 60, top: 30, colour: { r: 240, g: 228, b: 66, alpha: 0.6 } },
    { left: 80, top: 50, colour: { r: 230, g: 159, b: 0, alpha: 0.8 } },
  ];
  const composites = await Promise.all(
    squares.map(async ({ left, top, colour }) => ({ input: await sharp({ create: { width: 20, height: 20, channels: 4, background: colour } }).png().toBuffer(), left, top })),
  );
  return sharp({ create: { width, height, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
    .composite(composites)
    .png()
    .toBuffer();
}

/** A turbo-coloured blob, off centre: what a Grad-CAM heatmap looks like. */
export async function heatmapPng(width = 64, height = 48): Promise<Buffer> {
  const values = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = (x - width * 0.4) / (width * 0.22);
      const dy = (y - height * 0.45) / (height * 0.25);
      values[y * width + x] = Math.exp(-(dx * dx + dy * dy));
    }
  }
  return sharp(Buffer.from(applyColourMap(values, 'turbo')), { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** Deterministic stand-in for the model: the same classes for every image, with a generated heatmap. */
export async function fakePredictor(): Promise<FakePredictor> {
  const heatmap = await heatmapPng();
  const tileMap = await tileMapPng();
  const predictor: FakePredictor = {
    uncertain: false,
    activated: [],
    fieldQualityOk: false,
    fieldCalls: [],
    refusal: null,
    readAsField: false,
    delayMs: 0,
    received: [],
    async predict(image): Promise<PredictorResult | WholeFieldResult> {
      if (predictor.readAsField && !predictor.refusal) return { ...(await predictor.predictField!(image, { force: false })), wholeField: "the photo is far larger than the model's 64 px input: read as a whole microscope field" };
      predictor.received.push(image);
      await new Promise((resolve) => setTimeout(resolve, predictor.delayMs));
      if (predictor.refusal) return { refusal: predictor.refusal, modelVersion: FAKE_MODEL_VERSION, tree: [...LABEL_TREE] };
      return {
        classes: FAKE_CLASSES,
        top: FAKE_CLASSES[0],
        uncertain: predictor.uncertain,
        heatmapPng: heatmap,
        modelVersion: FAKE_MODEL_VERSION,
        tree: [...LABEL_TREE],
      };
    },
    async predictField(image, options): Promise<FieldPredictorResult> {
      predictor.fieldCalls.push(options);
      predictor.received.push(image);
      await new Promise((resolve) => setTimeout(resolve, predictor.delayMs));
      const quality = predictor.fieldQualityOk
        ? { ok: true, reasons: [], measures: { sharpness: 0.31 } }
        : { ok: false, reasons: ['out of focus', 'too dark'], measures: { sharpness: 0.12 } };
      if (!quality.ok && !options.force) {
        const refusal = { code: 'quality' as const, reason: `the photo failed the quality check (${quality.reasons.join(', ')})`, qualityReasons: quality.reasons };
        return { quality, warnings: [], prediction: { refusal, modelVersion: FAKE_MODEL_VERSION, tree: [...LABEL_TREE] } };
      }
      const classes = [FAKE_CLASSES[8], ...FAKE_CLASSES.slice(0, 8)].map((c, i) => ({ label: c.label, probability: [0.4, 0.3, 0.1, 0.05, 0.05, 0.04, 0.03, 0.02, 0.01][i] }));
      return {
        quality,
        warnings: [],
        prediction: {
          classes,
          top: classes[0],
          uncertain: false,
          heatmapPng: heatmap,
          tileMapPng: tileMap,
          modelVersion: FAKE_MODEL_VERSION,
          tree: [...LABEL_TREE],
          field: {
            forced: !quality.ok,
            quality: { ok: quality.ok, reasons: quality.reasons },
            label: 'polymicrobial',
            morphotypes: [
              { label: 'gpc_clusters', tileCount: 16, confidentTiles: 14 },
              { label: 'gnr', tileCount: 7, confidentTiles: 6 },
            ],
            multiple: true,
            tiles: { total: 48, inferred: 40 },
            legend: [
              { label: 'gpc_clusters', colour: '#F0E442', tiles: 16, confidentTiles: 14 },
              { label: 'gnr', colour: '#E69F00', tiles: 7, confidentTiles: 6 },
              { label: 'no_bacteria', colour: '#9E9E9E', tiles: 17, confidentTiles: 17 },
            ],
            photoPxPerUm: options.pxPerUm ?? null,
            warnings: [],
          },
        },
      };
    },
    async activate(model) {
      predictor.activated.push(model);
    },
  };
  return predictor;
}

export interface FakeTrainer extends Trainer {
  started: number;
  /** What the next bundles' metadata.json records as metrics. */
  metrics: unknown;
}

/**
 * Reports progress like the real trainer ({ kind: 'step', epoch, epochs, step, stepsPerEpoch, loss,
 * accuracy }) every `stepMs`; the first run finishes after `firstRunSteps`, later runs take long
 * enough to be cancelled. Writes a bundle folder with `metrics` in metadata.json and a report beside it.
 */
export function fakeTrainer(bundleRoot: string, { stepMs = 150, firstRunSteps = 12, laterRunSteps = 2000 } = {}): FakeTrainer {
  const trainer: FakeTrainer = {
    started: 0,
    metrics: { accuracy: 0.912, balancedAccuracy: 0.874, macroAuc: 0.968 },
    async start(projectId, _manifest, onProgress, signal) {
      const steps = trainer.started++ === 0 ? firstRunSteps : laterRunSteps;
      const stepsPerEpoch = 4;
      const epochs = Math.ceil(steps / stepsPerEpoch);
      for (let i = 0; i < steps; i++) {
        await new Promise((resolve) => setTimeout(resolve, stepMs));
        if (signal.aborted) throw new Error('training cancelled');
        onProgress({
          kind: 'step',
          epoch: Math.floor(i / stepsPerEpoch),
          epochs,
          step: (i % stepsPerEpoch) + 1,
          stepsPerEpoch,
          loss: 1.5 / (1 + i * 0.3),
          accuracy: Math.min(0.95, 0.3 + i * 0.05),
          etaSeconds: ((steps - i - 1) * stepMs) / 1000,
        });
      }
      // As the real trainer: RUN/model and RUN/report/report.html.
      const runDir = join(bundleRoot, `project-${projectId}-run-${trainer.started}`);
      const bundlePath = join(runDir, 'model');
      mkdirSync(bundlePath, { recursive: true });
      mkdirSync(join(runDir, 'report'), { recursive: true });
      writeFileSync(join(bundlePath, 'metadata.json'), JSON.stringify({ metrics: trainer.metrics }));
      writeFileSync(join(runDir, 'report', 'report.html'), `<!doctype html><title>Run ${trainer.started}</title><h1>Project ${projectId}: held-out test set</h1>`);
      return { bundlePath };
    },
  };
  return trainer;
}

/** A smartphone-through-the-eyepiece photo of a Gram stain, as JPEG. */
export async function gramStainPhoto(label: ClassId = 'gpc_clusters', seed = 7): Promise<Buffer> {
  const field = generateField({ label, seed, width: 800, height: 600 });
  return sharp(Buffer.from(field.rgb), { raw: { width: field.width, height: field.height, channels: 3 } })
    .jpeg({ quality: 88 })
    .toBuffer();
}

/** A square synthetic tile of a class, as PNG (distinct seeds give distinct images). */
export async function gramStainTile(label: ClassId, seed: number, size = 192): Promise<Buffer> {
  const tile = generateTile({ label, seed, size });
  return sharp(Buffer.from(tile.rgb), { raw: { width: tile.width, height: tile.height, channels: 3 } })
    .png()
    .toBuffer();
}

/**
 * A 12-megapixel (4000 x 3000) phone photo of a Gram stain at 15 px/µm, as a phone's JPEG: a field
 * rendered at half size, enlarged, with sensor noise (so it compresses as a real photo does, not as
 * a smooth drawing).
 */
export async function twelveMegapixelPhoto(label: ClassId = 'gnr', seed = 5): Promise<Buffer> {
  const field = generateField({ label, seed, width: 2000, height: 1500, pxPerUm: 7.5 });
  const { data } = await sharp(Buffer.from(field.rgb), { raw: { width: field.width, height: field.height, channels: 3 } })
    .resize(4000, 3000, { kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const rng = createRng(seed);
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(data[i] + 4 * rng.normal())));
  return sharp(data, { raw: { width: 4000, height: 3000, channels: 3 } })
    .jpeg({ quality: 95 })
    .toBuffer();
}
