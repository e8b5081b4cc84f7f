import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, Sample } from '../../src/data/index.ts';
import { initEngine } from '../../src/engine/index.ts';
import { formatFoldSummary } from '../../src/evaluate/index.ts';
import { crossValidate, type CrossValidateOptions, type CrossValidationProgress, type CrossValidationResult } from '../../src/pipeline/crossval.ts';
import { createRng } from '../../src/util/index.ts';

const CLASSES = ['bright_left', 'bright_top', 'dark'];

/** 12×12 RGB PNGs whose class is where a bright band lies; 3 patients per class, 4 images each. */
async function writeToyDataset(root: string): Promise<Dataset> {
  const rng = createRng(5);
  const samples: Sample[] = [];
  for (const [c, label] of CLASSES.entries()) {
    await mkdir(join(root, label), { recursive: true });
    for (let patient = 0; patient < 3; patient++) {
      for (let i = 0; i < 4; i++) {
        const pixels = Buffer.alloc(12 * 12 * 3);
        for (let y = 0; y < 12; y++) {
          for (let x = 0; x < 12; x++) {
            const band = c === 0 ? x < 5 : c === 1 ? y < 5 : false;
            const value = (band ? 210 : 50) + rng.normal() * 20;
            pixels.fill(Math.max(0, Math.min(255, Math.round(value))), (y * 12 + x) * 3, (y * 12 + x) * 3 + 3);
          }
        }
        const path = join(root, label, `${patient}-${i}.png`);
        await sharp(pixels, { raw: { width: 12, height: 12, channels: 3 } }).png().toFile(path);
        samples.push({ path, label, patientId: `${label}-${patient}` });
      }
    }
  }
  return { root, classes: CLASSES, samples };
}

let root: string;
let dataset: Dataset;
const options = (runDir: string): CrossValidateOptions => ({
  folds: 3,
  size: [12, 12],
  train: { model: 'seed-cnn', width: 4, epochs: 4, batchSize: 8, learningRate: 0.01 },
  runDir,
  seed: 4,
});

beforeAll(async () => {
  await initEngine();
  root = await mkdtemp(join(tmpdir(), 'gl-crossval-'));
  dataset = await writeToyDataset(root);
});

describe('crossValidate', () => {
  let result: CrossValidationResult;
  const events: CrossValidationProgress[] = [];

  beforeAll(async () => {
    result = await crossValidate(dataset, { ...options(join(root, 'run')), onProgress: (event) => events.push(event) });
  });

  it('trains one model per fold and reports each on its held-out patients', () => {
    expect(result.status).toBe('completed');
    expect(result.folds).toHaveLength(3);
    expect(result.runs.map((run) => run.counts.test).reduce((a, b) => a + b, 0)).toBe(36);
    for (const report of result.folds) expect(report.patientCount).toBe(3);
  });

  it('never puts a patient in two parts of a fold, and holds out every patient exactly once', () => {
    for (const { patients } of result.runs) {
      const all = [...patients.train, ...patients.val, ...patients.test];
      expect(new Set(all).size).toBe(all.length);
      expect(all).toHaveLength(9);
      expect(patients.val.length).toBeGreaterThan(0);
    }
    const heldOut = result.runs.flatMap((run) => run.patients.test).sort();
    expect(heldOut).toEqual(dataset.samples.map((s) => s.patientId).filter((p, i, all) => all.indexOf(p) === i).sort());
  });

  it('summarises the folds as mean ± SD and writes crossval.json', async () => {
    const summary = result.summary!;
    expect(summary.foldCount).toBe(3);
    expect(summary.accuracy.folds).toBe(3);
    expect(summary.accuracy.mean).toBeGreaterThan(0.5);
    expect(summary.accuracy.sd).not.toBeNull();
    expect(formatFoldSummary(summary)).toMatch(/Accuracy\s+\d+\.\d ± \d+\.\d%/);
    const written = JSON.parse(await readFile(join(root, 'run', 'crossval.json'), 'utf8'));
    expect(written.summary.foldCount).toBe(3);
  });

  it('reports progress per fold', () => {
    expect(events.filter((e) => e.kind === 'fold-start').map((e) => (e as { fold: number }).fold)).toEqual([0, 1, 2]);
    expect(events.filter((e) => e.kind === 'fold-done')).toHaveLength(3);
    expect(events.some((e) => e.kind === 'fold' && e.event.kind === 'train')).toBe(true);
  });

  it('stops when cancelled, keeping the folds already done', async () => {
    const controller = new AbortController();
    const cancelled = await crossValidate(dataset, {
      ...options(join(root, 'cancelled')),
      signal: controller.signal,
      onProgress: (event) => {
        if (event.kind === 'fold-done') controller.abort();
      },
    });
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.folds).toHaveLength(1);
    expect(cancelled.summary?.foldCount).toBe(1);
  });

  it('refuses more folds than patients', async () => {
    await expect(crossValidate(dataset, { ...options(join(root, 'too-many')), folds: 10 })).rejects.toThrow('Cannot make 10 folds from 9 patients');
  });
});
