import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReportData, MAX_CURVE_POINTS, renderReportHtml, writeReport, type ReportData, type ReportInput } from '../../src/report/index.ts';
import { reportSections } from '../../src/report/render.ts';
import { datasetCardFor, fullReportInput, minimalReportInput, syntheticRun } from './fixtures.ts';

const ALWAYS = ['summary', 'per-class', 'confusion', 'roc', 'precision-recall', 'calibration', 'dataset'];
/** Section id shown for each optional input. */
const OPTIONAL: [keyof ReportInput, string][] = [
  ['operatingPoints', 'operating-points'],
  ['referral', 'referral'],
  ['errors', 'errors'],
  ['gallery', 'gallery'],
  ['levels', 'levels'],
  ['slices', 'slices'],
  ['folds', 'cross-validation'],
];

const sectionIds = (html: string) => Array.from(html.matchAll(/<section id="([^"]+)"/g), (match) => match[1]);

let full: ReportInput;
let fullData: ReportData;
let minimalData: ReportData;

beforeAll(async () => {
  full = await fullReportInput();
  fullData = buildReportData(full);
  minimalData = buildReportData(minimalReportInput(full));
});

describe('buildReportData', () => {
  it('round-trips through JSON unchanged', () => {
    for (const data of [fullData, minimalData]) expect(JSON.parse(JSON.stringify(data))).toStrictEqual(data);
  });

  it('embeds the evaluation and per-class curves from (0,0) to (1,1)', () => {
    expect(fullData.evaluation.sampleCount).toBe(full.labels.length);
    expect(fullData.evaluation.patientCount).toBe(new Set(full.groups as string[]).size);
    expect(fullData.curves.map((c) => c.className)).toEqual(full.classNames);
    for (const curve of fullData.curves) {
      expect(curve.roc![0]).toEqual([0, 0]);
      expect(curve.roc![curve.roc!.length - 1]).toEqual([1, 1]);
      expect(curve.precisionRecall![curve.precisionRecall!.length - 1]).toEqual([0, 1]);
      expect(curve.averagePrecision).toBeGreaterThan(curve.prevalence);
    }
  });

  it('compares calibration before and after temperature scaling', () => {
    const { before, after, temperature } = fullData.calibration;
    expect(temperature).toBe(full.temperature);
    expect(after.expectedCalibrationError).toBe(fullData.evaluation.expectedCalibrationError);
    expect(after.brierScore).toBe(fullData.evaluation.brierScore);
    expect(before!.expectedCalibrationError).toBeGreaterThan(after.expectedCalibrationError);
    expect(before!.reliability.reduce((sum, bin) => sum + bin.count, 0)).toBe(full.labels.length);
    expect(minimalData.calibration.before).toBeNull();
  });

  it('computes the referral rate implied by the confidence level', () => {
    const k = full.classNames.length;
    let referred = 0;
    for (let i = 0; i < full.labels.length; i++) {
      if (Math.max(...full.probabilities.subarray(i * k, (i + 1) * k)) < 0.7) referred++;
    }
    const referral = fullData.referral!;
    expect(referral.referredCount).toBe(referred);
    expect(referral.referralRate.value).toBeCloseTo(referred / full.labels.length, 12);
    expect(referral.referralRate.ci95[0]).toBeLessThan(referral.referralRate.value!);
    expect(referral.overallAccuracy).toEqual(fullData.evaluation.accuracy);
  });

  it('scores each operating point on the test set at its validation threshold', () => {
    const [point] = fullData.operatingPoints!;
    const k = full.classNames.length;
    const counts = { tp: 0, fp: 0, fn: 0, tn: 0 };
    full.labels.forEach((label, i) => {
      const called = full.probabilities[i * k] >= 0.3;
      if (label === 0) counts[called ? 'tp' : 'fn']++;
      else counts[called ? 'fp' : 'tn']++;
    });
    expect(point.counts).toEqual(counts);
    expect(point.sensitivity.value).toBeCloseTo(counts.tp / (counts.tp + counts.fn), 12);
    expect(point.ppv.value).toBeCloseTo(counts.tp / (counts.tp + counts.fp), 12);
    expect(() => buildReportData({ ...minimalReportInput(full), operatingPoints: [{ class: 'nope', threshold: 0.5, targetSensitivity: 0.9 }] })).toThrow(/unknown class "nope"/);
  });

  it('summarises folds as mean ± SD', () => {
    const { folds, summary } = fullData.crossValidation!;
    expect(summary.foldCount).toBe(3);
    const accuracies = folds.map((fold) => fold.accuracy.value!);
    expect(summary.accuracy.mean).toBeCloseTo(accuracies.reduce((a, b) => a + b) / 3, 12);
  });

  it('keeps curves of a large test set within the point budget and shows the full-data AUC', () => {
    const run = syntheticRun(['a', 'b'], [1500, 1500], 3, 1);
    const data = buildReportData({
      ...minimalReportInput(full),
      classNames: run.classNames,
      labels: run.labels,
      probabilities: run.calibrated,
      datasetCard: datasetCardFor([1500, 1500]),
      bootstrapIterations: 20,
    });
    for (const curve of data.curves) {
      expect(curve.roc!.length).toBeLessThanOrEqual(MAX_CURVE_POINTS);
      expect(curve.precisionRecall!.length).toBeLessThanOrEqual(MAX_CURVE_POINTS);
    }
    expect(renderReportHtml(data)).toContain(`AUC ${data.evaluation.perClass[0].auc.value!.toFixed(3)} (`);
  });

  it('rejects a dataset card whose class counts do not match the classes', () => {
    const card = { ...full.datasetCard, splits: [{ name: 'test', classCounts: [1, 2], patients: null }] };
    expect(() => buildReportData({ ...minimalReportInput(full), datasetCard: card })).toThrow(/2 class counts for 3 classes/);
  });
});

describe('renderReportHtml', () => {
  it('shows every section when every input is given', () => {
    const html = renderReportHtml(fullData);
    expect(sectionIds(html)).toEqual(['summary', 'per-class', 'confusion', 'roc', 'precision-recall', 'calibration', 'operating-points', 'referral', 'errors', 'gallery', 'levels', 'slices', 'cross-validation', 'dataset']);
    expect(reportSections(fullData).map((section) => section.id)).toEqual(sectionIds(html));
  });

  it('omits each optional section without its input and shows it with it', () => {
    const minimal = minimalReportInput(full);
    expect(sectionIds(renderReportHtml(minimalData))).toEqual(ALWAYS);
    for (const [key, id] of OPTIONAL) {
      const ids = sectionIds(renderReportHtml(buildReportData({ ...minimal, [key]: full[key] })));
      expect(ids.filter((shown) => !ALWAYS.includes(shown))).toEqual([id]);
    }
  });

  it('shows before/after calibration only when uncalibrated probabilities are given', () => {
    expect(renderReportHtml(fullData)).toContain('Before temperature scaling');
    expect(renderReportHtml(minimalData)).not.toContain('Before temperature scaling');
  });

  it('references nothing outside the file and runs no script', () => {
    const html = renderReportHtml(fullData);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/url\(|@import|<script|<link|<iframe|<object|<embed/i);
    for (const match of html.matchAll(/\bsrc="([^"]*)"/g)) expect(match[1]).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/=]+$/);
    for (const match of html.matchAll(/\bhref="([^"]*)"/g)) expect(match[1]).toMatch(/^#[a-z-]+$/);
    expect(html).toContain('<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; img-src data:; style-src &#39;unsafe-inline&#39;">');
  });

  it('carries the research-use notice, the date and the model', () => {
    const html = renderReportHtml(fullData);
    expect(html).toContain('Research use only — not a medical device');
    expect(html).toContain('2025-03-01 09:30 UTC');
    expect(html).toContain('resnet-small v1 (test)');
  });

  it('escapes user text everywhere: class names, titles, file names, config, level and slice names', async () => {
    const evil = '<script>alert(1)</script>';
    const quote = '" onerror="alert(1)';
    const input = await fullReportInput({ classNames: [evil, `b${quote}`, 'c'] });
    input.title = evil;
    input.model = evil;
    input.errors = input.errors!.map((error) => ({ ...error, source: `${quote}${evil}` }));
    input.gallery = input.gallery!.map((item) => ({ ...item, source: `${quote}${evil}` }));
    input.levels = input.levels!.map((level) => ({ ...level, name: evil }));
    input.slices = input.slices!.map((slice) => ({ ...slice, name: evil }));
    input.datasetCard = { ...input.datasetCard, description: evil, splits: input.datasetCard.splits.map((split) => ({ ...split, name: evil })), config: { note: evil } };
    const html = renderReportHtml(buildReportData(input));
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('" onerror="');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot; onerror=&quot;alert(1)');
  });

  it('prints "—" for undefined metrics', () => {
    // Class 2 is never predicted: its PPV is 0/0.
    const labels = Int32Array.from([0, 0, 1, 1, 2, 2]);
    const probabilities = Float32Array.from([0.8, 0.1, 0.1, 0.7, 0.2, 0.1, 0.2, 0.7, 0.1, 0.1, 0.8, 0.1, 0.5, 0.2, 0.3, 0.2, 0.5, 0.3]);
    const data = buildReportData({
      ...minimalReportInput(full),
      classNames: ['a', 'b', 'c'],
      labels,
      probabilities,
      bootstrapIterations: 20,
      datasetCard: datasetCardFor([2, 2, 2]),
    });
    expect(data.evaluation.perClass[2].ppv.value).toBeNull();
    const row = renderReportHtml(data).match(/<tr><th scope="row">c<\/th>.*?<\/tr>/)![0];
    expect(row).toContain('<td class="num missing">—</td>');
  });
});

describe('writeReport', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gramlens-report-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes report.html and report.json, replacing earlier ones and leaving no temporary files', async () => {
    const out = join(dir, 'run-1');
    await writeReport(out, minimalData);
    const { htmlPath, jsonPath } = await writeReport(out, fullData);
    expect(await readdir(out)).toEqual(['report.html', 'report.json']);
    expect(JSON.parse(await readFile(jsonPath, 'utf8'))).toStrictEqual(fullData);
    expect(await readFile(htmlPath, 'utf8')).toBe(renderReportHtml(fullData));
  });
});

describe('explanation gallery', () => {
  it('shows correct and wrong predictions apart, each with its heatmap image', () => {
    const html = renderReportHtml(fullData);
    const gallery = html.slice(html.indexOf('<section id="gallery"'), html.indexOf('</section>', html.indexOf('<section id="gallery"')));
    expect(gallery).toContain('Correct predictions');
    expect(gallery).toContain('Wrong predictions');
    expect(gallery.match(/<img src="data:image\/png;base64,/g)).toHaveLength(full.gallery!.length);
    expect(fullData.gallery!.filter((item) => item.correct)).toHaveLength(1);
  });
});
