import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleJobModels, scoreOutputOf, type ExplainingModel, type ScoringModel } from '../../src/jobs/index.ts';
import { BundlePredictor } from '../../src/inference/index.ts';
import type { ModelRecord } from '../../src/store/index.ts';
import { TOY_CLASSES, toyTile, trainToyBundle } from '../inference/toy-bundle.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
const tilePng = (label: string, seed: number) => sharp(toyTile(label, seed), { raw: { width: 24, height: 24, channels: 3 } }).png().toBuffer();

describe('job models from a bundle on disk', () => {
  let root: string;
  let model: ModelRecord;
  let scoring: ScoringModel;
  let explaining: ExplainingModel;
  let reference: BundlePredictor;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'gramlens-job-models-'));
    const path = await trainToyBundle(root);
    model = { id: 1, path, name: 'toy', version: '1', metrics: null, createdAt: 0, active: true };
    const models = bundleJobModels({ threads: 1 });
    scoring = await models.forScoring(model);
    explaining = await models.forExplaining(model);
    reference = await BundlePredictor.load(path, () => undefined, { threads: 1 });
  }, 120_000);
  afterAll(async () => {
    await scoring?.dispose();
    await explaining?.dispose();
    await reference?.dispose();
    await rm(root, { recursive: true, force: true });
  });

  it('scores an image as the server predicts it, with the version the audit trail records', async () => {
    const tile = await tilePng('rods', 7);
    const result = await scoring.predict(tile);
    const served = await reference.predict(tile);
    expect(scoreOutputOf(result)).toEqual(scoreOutputOf(served));
    expect(scoring.modelVersion).toBe((served as { modelVersion: string }).modelVersion);
    expect(TOY_CLASSES).toContain((scoreOutputOf(result) as { top: { label: string } }).top.label);
    const blank = await sharp({ create: { width: 24, height: 24, channels: 3, background: { r: 255, g: 255, b: 255 } } }).png().toBuffer();
    expect(scoreOutputOf(await scoring.predict(blank))).toMatchObject({ refusal: { code: 'blank' } });
  });

  it('explains the class asked for with each method, the predicted class for a label the model does not have', async () => {
    const tile = await tilePng('cocci', 3);
    for (const method of ['gradcam', 'gradcam++', 'hirescam'] as const) {
      const explained = await explaining.explain(tile, { method, targetClass: 'rods' });
      expect(explained).toMatchObject({ target: { label: 'rods' } });
      if ('heatmapPng' in explained) expect(explained.heatmapPng.subarray(0, 4).equals(PNG_SIGNATURE)).toBe(true);
    }
    const predicted = (scoreOutputOf(await scoring.predict(tile)) as { top: { label: string } }).top.label;
    const group = await explaining.explain(tile, { method: 'gradcam', targetClass: 'Gram-positive' });
    expect(group).toMatchObject({ target: { label: predicted } });
    expect(explaining.modelVersion).toBe(scoring.modelVersion);
  });
});
