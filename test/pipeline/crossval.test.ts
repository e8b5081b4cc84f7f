import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, Sample } from '../../src/data/index.ts';
import { initEngine } from '../../src/engine/index.ts';
import { formatFoldSummary, formatMeanSd, type ClassifierReport, type FoldSummary } from '../../src/evaluate/index.ts';
import { crossValidate, type CrossValidateOptions, type CrossValidationProgress, type CrossValidationResult } from '../../src/pipeline/crossval.ts';
import { createRng } from '../../src/util/index.ts';

const CLASSES = ['bright_left', 'bright_top', 'dark'];
/** A class name as the report prints it, breakable after "_". */
const breakable = (name: string) => name.replace(/_/g, '_<wbr>');

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

  it('pools the held-out predictions: every image once, by the fold that held out its patient', () => {
    const { outOfFold } = result;
    expect(outOfFold.samples.map((s) => s.path).sort()).toEqual(dataset.samples.map((s) => s.path).sort());
    expect(new Set(outOfFold.samples.map((s) => s.path)).size).toBe(36);
    outOfFold.samples.forEach((sample, i) => {
      expect(result.runs[outOfFold.fold[i]].patients.test).toContain(sample.patientId);
      expect(outOfFold.labels[i]).toBe(CLASSES.indexOf(sample.label));
    });
    const rowSums = Array.from({ length: 36 }, (_, i) => outOfFold.probabilities.subarray(i * 3, i * 3 + 3).reduce((a, b) => a + b, 0));
    for (const sum of rowSums) expect(sum).toBeCloseTo(1, 5);
  });

  it('writes a self-contained report whose mean ± SD table matches crossval.json', async () => {
    const html = await readFile(join(root, 'run', 'report.html'), 'utf8');
    const written = JSON.parse(await readFile(join(root, 'run', 'crossval.json'), 'utf8'));
    expect(html).not.toMatch(/<script|\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    for (const match of html.matchAll(/\bsrc="([^"]*)"/g)) expect(match[1]).toMatch(/^data:image\/png;base64,/);
    const links = Array.from(html.matchAll(/\bhref="([^"#][^"]*)"/g), (match) => match[1]);
    expect(links).toEqual(['fold-1/report/report.html', 'fold-2/report/report.html', 'fold-3/report/report.html']);
    for (const link of links) await expect(readFile(join(root, 'run', link), 'utf8')).resolves.toContain('held-out patients');

    const section = html.slice(html.indexOf('<section id="cross-validation">'), html.indexOf('<section id="folds">'));
    const summary = written.summary as FoldSummary;
    const row = (title: string) => new RegExp(`<th scope="row">${title}</th>(.*?)</tr>`).exec(section)![1];
    expect(row('Accuracy')).toContain(`<td class="num">${formatMeanSd(summary.accuracy, 'percent')}</td>`);
    expect(row('Macro F1')).toContain(`<td class="num">${formatMeanSd(summary.macroF1, 'decimal')}</td>`);
    expect(row('Brier score')).toContain(`<td class="num">${formatMeanSd(summary.brierScore, 'decimal')}</td>`);
    for (const [c, name] of CLASSES.entries()) {
      expect(row(breakable(name))).toContain(`<td class="num">${formatMeanSd(summary.perClass[c].sensitivity, 'percent')}</td><td class="num">${formatMeanSd(summary.perClass[c].specificity, 'percent')}</td>`);
    }
    for (const fold of written.folds as ClassifierReport[]) expect(row('Accuracy')).toContain(`<td class="num">${(fold.accuracy.value! * 100).toFixed(1)}%</td>`);

    const data = JSON.parse(await readFile(join(root, 'run', 'report.json'), 'utf8'));
    expect(data.crossValidation.summary).toEqual(written.summary);
    expect(data.evaluation.sampleCount).toBe(36);
    expect(data.evaluation.patientCount).toBe(9);
    expect(data.evaluation.bootstrap.resampled).toBe('patients');
    expect(data.evaluation.confusionMatrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(36);
    expect(data.crossValidation.outOfFold.patientsHeldOutTwice).toBe(0);
    expect(data.datasetCard.splits.map((split: { name: string; patients: number }) => [split.name, split.patients])).toEqual([
      ['Fold 1 held out', 3],
      ['Fold 2 held out', 3],
      ['Fold 3 held out', 3],
      ['All', 9],
    ]);
    expect(data.datasetCard.seed).toBe(4);
    expect(data.datasetCard.config.crossValidation.folds).toBe(3);
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
    expect(cancelled.report).toBeNull();
    expect(cancelled.outOfFold.labels).toHaveLength(cancelled.runs[0].counts.test);
    expect(existsSync(join(root, 'cancelled', 'report.html'))).toBe(false);
    expect(existsSync(join(root, 'cancelled', 'fold-1', 'report', 'report.html'))).toBe(true);
  });

  it('pools only the held-out images that name a class when some carry a coarse label', async () => {
    const coarse: Dataset = {
      ...dataset,
      coarseLabels: [{ name: 'bright', classes: ['bright_left', 'bright_top'] }],
      samples: dataset.samples.map((sample, i) => (i % 12 === 0 ? { ...sample, label: 'bright' } : sample)),
    };
    const run = await crossValidate(coarse, options(join(root, 'coarse')));
    expect(run.status).toBe('completed');
    expect(run.outOfFold.labels).toHaveLength(33);
    expect(run.outOfFold.samples.every((sample) => sample.label !== 'bright')).toBe(true);
    const data = JSON.parse(await readFile(join(root, 'coarse', 'report.json'), 'utf8'));
    expect(data.evaluation.sampleCount).toBe(33);
  });

  it('adds training-only images to every fold\'s training part and never validates or tests on them', async () => {
    const extraRoot = join(root, 'extra');
    const extra = await writeToyDataset(extraRoot);
    const run = await crossValidate(dataset, { ...options(join(root, 'train-only')), trainOnly: [extra] });
    expect(run.status).toBe('completed');
    // The folds are the same as without the extra images: they split only the dataset's patients.
    expect(run.runs.map((fold) => fold.patients.test)).toEqual(result.runs.map((fold) => fold.patients.test));
    expect(run.runs.map((fold) => fold.patients.val)).toEqual(result.runs.map((fold) => fold.patients.val));
    for (const [i, fold] of run.runs.entries()) {
      expect(fold.counts.train).toBe(result.runs[i].counts.train + 36);
      const trainOnly = fold.patients.train.filter((patient) => patient.startsWith('train-only:'));
      expect(trainOnly).toHaveLength(9);
      expect([...fold.patients.val, ...fold.patients.test].some((patient) => patient.startsWith('train-only:'))).toBe(false);
    }
    expect(run.outOfFold.labels).toHaveLength(36);
    expect(run.outOfFold.samples.some((sample) => sample.path.startsWith(extraRoot))).toBe(false);
    const data = JSON.parse(await readFile(join(root, 'train-only', 'report.json'), 'utf8'));
    expect(data.evaluation.sampleCount).toBe(36);
    expect(JSON.stringify(data)).toContain('plus 36 training-only images (extra)');

    const other: Dataset = { ...extra, samples: extra.samples.map((sample) => ({ ...sample, label: 'grey' })) };
    await expect(crossValidate(dataset, { ...options(join(root, 'train-only-bad')), trainOnly: [other] })).rejects.toThrow('have classes the dataset does not: grey');
  });

  it('refuses more folds than patients', async () => {
    await expect(crossValidate(dataset, { ...options(join(root, 'too-many')), folds: 10 })).rejects.toThrow('Cannot make 10 folds from 9 patients');
  });
});
