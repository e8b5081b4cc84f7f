import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateClassifier, formatMeanSd, type ClassifierReport } from '../../src/evaluate/index.ts';
import { buildReportData, renderReportHtml, type FoldRunInput, type ReportData, type ReportInput } from '../../src/report/index.ts';
import { outOfFoldData } from '../../src/report/folds.ts';
import { reportSections } from '../../src/report/render.ts';
import { datasetCardFor, syntheticRun, type SyntheticRun } from './fixtures.ts';

const FOLDS = 3;
const sectionOf = (html: string, id: string) => html.slice(html.indexOf(`<section id="${id}">`), html.indexOf('</section>', html.indexOf(`<section id="${id}">`)));
/** The text of each cell of the row headed `title`. */
const rowCells = (html: string, title: string) => {
  const row = new RegExp(`<th scope="row">${title}</th>(.*?)</tr>`).exec(html)![1];
  return Array.from(row.matchAll(/<td[^>]*>(.*?)<\/td>/g), (match) => match[1].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim());
};

/** The patients of fold f are those with index % 3 === f; the fold's "model" is the shared synthetic one. */
function foldOf(run: SyntheticRun, i: number): number {
  return Number(run.groups[i].split('-')[1]) % FOLDS;
}

function foldReport(run: SyntheticRun, fold: number): ClassifierReport {
  const k = run.classNames.length;
  const rows = Array.from(run.labels.keys()).filter((i) => foldOf(run, i) === fold);
  return evaluateClassifier({
    labels: Int32Array.from(rows, (i) => run.labels[i]),
    probabilities: Float32Array.from(rows.flatMap((i) => Array.from(run.calibrated.subarray(i * k, (i + 1) * k)))),
    classNames: run.classNames,
    groups: rows.map((i) => run.groups[i]),
    seed: fold,
    bootstrapIterations: 20,
  });
}

function foldRuns(run: SyntheticRun): FoldRunInput[] {
  const patients = [...new Set(run.groups)];
  const patientFold = (patient: string) => Number(patient.split('-')[1]) % FOLDS;
  const imagesOf = (list: string[]) => run.groups.filter((g) => list.includes(g)).length;
  return Array.from({ length: FOLDS }, (_, fold) => {
    const test = patients.filter((p) => patientFold(p) === fold);
    const rest = patients.filter((p) => patientFold(p) !== fold);
    const val = rest.slice(0, 2);
    const train = rest.slice(2);
    return {
      fold,
      patients: { train, val, test },
      images: { train: imagesOf(train), val: imagesOf(val), test: imagesOf(test) },
      bestEpoch: fold,
      epochsRun: 5,
      temperature: 1.5 + fold / 10,
      reportPath: `fold-${fold + 1}/report/report.html`,
    };
  });
}

let run: SyntheticRun;
let input: ReportInput;
let data: ReportData;
let html: string;

beforeAll(() => {
  run = syntheticRun(['cocci', 'rods', 'yeast'], [24, 30, 18], 5);
  input = {
    title: 'Cross-validation of synthetic stains',
    model: '3 × seed-cnn, one per fold',
    createdAt: new Date('2025-03-01T09:30:00Z'),
    classNames: run.classNames,
    labels: run.labels,
    probabilities: run.calibrated,
    uncalibratedProbabilities: run.uncalibrated,
    groups: run.groups,
    seed: 3,
    bootstrapIterations: 20,
    datasetCard: datasetCardFor([24, 30, 18]),
    folds: [0, 1, 2].map((fold) => foldReport(run, fold)),
    foldRuns: foldRuns(run),
  };
  data = buildReportData(input);
  html = renderReportHtml(data);
});

describe('outOfFoldData', () => {
  it('counts patients per part and finds none in two parts or held out twice', () => {
    const outOfFold = data.crossValidation!.outOfFold!;
    expect(outOfFold.patients).toBe(24);
    expect(outOfFold.patientsHeldOutTwice).toBe(0);
    expect(outOfFold.runs.map((r) => r.patients)).toEqual([
      { train: 14, val: 2, test: 8 },
      { train: 14, val: 2, test: 8 },
      { train: 14, val: 2, test: 8 },
    ]);
    expect(outOfFold.runs.every((r) => r.patientsInTwoParts === 0)).toBe(true);
    expect(JSON.stringify(data)).not.toContain('patient-7"');
  });

  it('counts a patient in two parts of a fold and a patient held out by two folds', () => {
    const runs = foldRuns(run);
    runs[1] = { ...runs[1], patients: { ...runs[1].patients, train: [...runs[1].patients.train, runs[1].patients.test[0]] } };
    runs[2] = { ...runs[2], patients: { ...runs[2].patients, test: [...runs[2].patients.test, runs[0].patients.test[1]] } };
    const outOfFold = outOfFoldData(runs, input.folds!, run.labels.length);
    expect(outOfFold.runs.map((r) => r.patientsInTwoParts)).toEqual([0, 1, 1]);
    expect(outOfFold.patientsHeldOutTwice).toBe(1);
  });

  it('rejects held-out parts that do not add up to the pooled predictions', () => {
    const runs = foldRuns(run);
    expect(() => outOfFoldData(runs, input.folds!, run.labels.length - 1)).toThrow(`held-out parts hold ${run.labels.length} images, the pooled predictions ${run.labels.length - 1}`);
    runs[0] = { ...runs[0], images: { ...runs[0].images, test: runs[0].images.test + 1 } };
    expect(() => outOfFoldData(runs, input.folds!, run.labels.length)).toThrow(/fold 1 holds out \d+ images, its report scores/);
    expect(() => outOfFoldData(foldRuns(run), input.folds!.slice(1), run.labels.length)).toThrow('3 runs for 2 fold reports');
  });
});

describe('cross-validation report', () => {
  it('opens with the folds and then scores the pooled predictions', () => {
    expect(reportSections(data).map((s) => s.id)).toEqual(['cross-validation', 'folds', 'summary', 'per-class', 'confusion', 'roc', 'precision-recall', 'calibration', 'dataset']);
    expect(html).toContain('<dt>Out-of-fold predictions</dt>');
    expect(html).toContain('<h2>Pooled out-of-fold results</h2>');
  });

  it('shows each fold value, the mean ± SD and the pooled value of every metric', () => {
    const section = sectionOf(html, 'cross-validation');
    const { folds, summary } = data.crossValidation!;
    const accuracy = rowCells(section, 'Accuracy');
    expect(accuracy.slice(0, 3)).toEqual(folds.map((f) => `${(f.accuracy.value! * 100).toFixed(1)}%`));
    expect(accuracy[3]).toBe(formatMeanSd(summary.accuracy, 'percent'));
    expect(accuracy[4]).toMatch(new RegExp(`^${(data.evaluation.accuracy.value! * 100).toFixed(1)}%`));
    expect(rowCells(section, 'Brier score')[3]).toBe(formatMeanSd(summary.brierScore, 'decimal'));
    const rodsSensitivity = rowCells(section.slice(section.indexOf('rowspan="6">rods</th>')), 'Sensitivity');
    expect(rodsSensitivity.slice(0, 3)).toEqual(folds.map((f) => `${(f.perClass[1].sensitivity.value! * 100).toFixed(1)}%`));
    expect(rodsSensitivity[3]).toBe(formatMeanSd(summary.perClass[1].sensitivity, 'percent'));
  });

  it('lists who each fold trained and tested on, links the fold reports and states the checks', () => {
    const section = sectionOf(html, 'folds');
    expect(rowCells(section, 'Fold 2')).toEqual(['42 14 patients', '6 2 patients', '24 8 patients', '2 of 5', '1.60', '0', 'fold-2/report/report.html']);
    expect(section).toContain('<a href="fold-3/report/report.html">');
    expect(section).toContain('✓ No patient is in two parts');
    expect(section).toContain('✓ Each of the 24 patients is held out by exactly one fold.');
    expect(section).toContain('72 images (24 + 24 + 24 held out by the folds in turn)');
  });

  it('flags a fold whose patients leaked', () => {
    const runs = foldRuns(run);
    runs[1] = { ...runs[1], patients: { ...runs[1].patients, val: [...runs[1].patients.val, runs[1].patients.test[0]] } };
    const section = sectionOf(renderReportHtml(buildReportData({ ...input, foldRuns: runs })), 'folds');
    expect(section).toContain('✗ Fold 2: patients in two parts');
    expect(section).not.toContain('✓ No patient');
  });

  it('keeps the cross-validation section after the results when the predictions are not pooled', () => {
    const ids = reportSections(buildReportData({ ...input, foldRuns: undefined })).map((s) => s.id);
    expect(ids.slice(0, 1)).toEqual(['summary']);
    expect(ids.slice(-2)).toEqual(['cross-validation', 'dataset']);
  });
});
