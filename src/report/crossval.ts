/** Cross-validation in the report: per-fold values with mean ± SD, and who each fold trained and tested on. */
import { MISSING, type ClassifierReport, type Estimate, type MeanSd } from '../evaluate/index.ts';
import { formatCount, formatInterval, formatNumber, type NumberStyle } from './format.ts';
import { breakableText, html, type SafeHtml } from './html.ts';
import { HEADLINE_METRICS, type Section } from './sections.ts';
import { nameOf } from './summary.ts';
import { estimateCell, meanSdCell, PER_CLASS_COLUMNS } from './tables.ts';
import type { ReportData } from './types.ts';

interface MetricRow {
  title: string;
  style: NumberStyle;
  perFold: (report: ClassifierReport) => number | null;
  summary: MeanSd;
  /** The metric on the pooled out-of-fold predictions. */
  pooled: SafeHtml;
}

/** A value and its interval on one line, for long tables. */
function inlineEstimateCell(estimate: Estimate, style: NumberStyle): SafeHtml {
  if (estimate.value === null) return html`<td class="num missing">${MISSING}</td>`;
  return html`<td class="num">${formatNumber(estimate.value, style)} <span class="ci inline">${formatInterval(estimate, style)}</span></td>`;
}

const valueCell = (value: number | null, style: NumberStyle) => html`<td class="num">${formatNumber(value, style)}</td>`;

function overallRows(data: ReportData): MetricRow[] {
  const { summary } = data.crossValidation!;
  const pooled = data.evaluation;
  return [
    ...HEADLINE_METRICS.map((metric) => ({
      title: metric.title,
      style: metric.style,
      perFold: (report: ClassifierReport) => report[metric.key].value,
      summary: summary[metric.key],
      pooled: estimateCell(pooled[metric.key], metric.style),
    })),
    {
      title: 'Calibration error (ECE)',
      style: 'percent',
      perFold: (report) => report.expectedCalibrationError,
      summary: summary.expectedCalibrationError,
      pooled: valueCell(pooled.expectedCalibrationError, 'percent'),
    },
    { title: 'Brier score', style: 'decimal', perFold: (report) => report.brierScore, summary: summary.brierScore, pooled: valueCell(pooled.brierScore, 'decimal') },
  ];
}

function perClassRows(data: ReportData, c: number): MetricRow[] {
  const summary = data.crossValidation!.summary.perClass[c];
  return PER_CLASS_COLUMNS.map((column) => ({
    title: column.title,
    style: column.style,
    perFold: (report) => report.perClass[c][column.key].value,
    summary: summary[column.key],
    pooled: inlineEstimateCell(data.evaluation.perClass[c][column.key], column.style),
  }));
}

function foldHeadings(folds: readonly ClassifierReport[], pooled: boolean): SafeHtml {
  return html`${folds.map((_, fold) => html`<th scope="col" class="num">Fold ${fold + 1}</th>`)}<th scope="col" class="num">Mean ± SD</th>${
    pooled && html`<th scope="col" class="num">Pooled (95% CI)</th>`
  }`;
}

function metricCells(row: MetricRow, folds: readonly ClassifierReport[], pooled: boolean): SafeHtml {
  return html`${folds.map((report) => valueCell(row.perFold(report), row.style))}${meanSdCell(row.summary, row.style)}${pooled && row.pooled}`;
}

export function crossValidationSection(data: ReportData): Section | null {
  const crossValidation = data.crossValidation;
  if (!crossValidation) return null;
  const { folds, summary } = crossValidation;
  const pooled = crossValidation.outOfFold !== null;
  return {
    id: 'cross-validation',
    title: 'Cross-validation',
    body: html`<p>${
      pooled
        ? `${summary.foldCount} models were trained, one per fold: each on the patients of the other folds, then tested on the patients its fold held out. `
        : ''
    }Mean ± standard deviation of each metric over the ${summary.foldCount} folds: the spread shows how much the result depends on which patients were held out.${
      pooled ? ' The pooled column scores all held-out predictions together, with 95% intervals from resampling patients.' : ''
    }</p>
<table class="metrics">
<thead><tr><th scope="col">Metric</th>${foldHeadings(folds, pooled)}</tr></thead>
<tbody>${overallRows(data).map((row) => html`<tr><th scope="row">${row.title}</th>${metricCells(row, folds, pooled)}</tr>
`)}</tbody>
</table>
<h3>Per class: mean ± SD over the folds</h3>
<table class="metrics">
<thead><tr><th scope="col">Class</th>${PER_CLASS_COLUMNS.map((column) => html`<th scope="col" class="num">${column.title}</th>`)}</tr></thead>
<tbody>${summary.perClass.map(
      (row) => html`<tr><th scope="row">${breakableText(nameOf(data)(row.name))}</th>${PER_CLASS_COLUMNS.map((column) => meanSdCell(row[column.key], column.style))}</tr>
`,
    )}</tbody>
</table>
<h3>Per class: every fold</h3>
<table class="metrics grouped">
<thead><tr><th scope="col">Class</th><th scope="col">Metric</th>${foldHeadings(folds, pooled)}</tr></thead>
${summary.classNames.map(
  (name, c) => html`<tbody>${perClassRows(data, c).map(
    (row, r) => html`<tr>${r === 0 && html`<th scope="rowgroup" rowspan="${PER_CLASS_COLUMNS.length}">${breakableText(nameOf(data)(name))}</th>`}<th scope="row">${row.title}</th>${metricCells(row, folds, pooled)}</tr>
`,
  )}</tbody>
`,
)}</table>
<p class="note">SD: sample standard deviation between folds (n − 1). “—”: undefined in that fold (e.g. the PPV of a class the fold's model never predicted); the mean and SD then use the folds where it is defined.</p>`,
  };
}

function imagesAndPatients(images: number, patients: number): SafeHtml {
  return html`<td class="num">${formatCount(images)} <span class="ci">${formatCount(patients)} patients</span></td>`;
}

function check(passed: boolean, pass: string, fail: string): SafeHtml {
  return html`<li class="${passed ? 'check-pass' : 'check-fail'}">${passed ? `✓ ${pass}` : `✗ ${fail}`}</li>`;
}

/** Who each fold trained, validated and tested on, with the checks that no patient leaked. */
export function foldsSection(data: ReportData): Section | null {
  const outOfFold = data.crossValidation?.outOfFold;
  if (!outOfFold) return null;
  const { runs } = outOfFold;
  const leakyFolds = runs.filter((run) => run.patientsInTwoParts > 0);
  const heldOutTotal = runs.map((run) => formatCount(run.images.test)).join(' + ');
  const hasReports = runs.some((run) => run.reportPath !== null);
  return {
    id: 'folds',
    title: 'Folds and patients',
    body: html`<p>Patients were split into ${runs.length} folds, all images of a patient in the same fold, each fold with a similar mix of classes. Each fold's model trained on the other folds' patients; some of those patients (validation) only chose the best epoch and fitted the temperature that calibrates the probabilities. No held-out image influenced its own model.</p>
<table class="metrics folds">
<thead><tr><th scope="col">Fold</th><th scope="col" class="num">Training images</th><th scope="col" class="num">Validation images</th><th scope="col" class="num">Held-out images</th><th scope="col" class="num">Best epoch</th><th scope="col" class="num">Temperature</th><th scope="col" class="num">Patients in two parts</th>${
      hasReports && html`<th scope="col">Fold report</th>`
    }</tr></thead>
<tbody>${runs.map(
      (run) => html`<tr><th scope="row">Fold ${run.fold + 1}</th>${imagesAndPatients(run.images.train, run.patients.train)}${imagesAndPatients(run.images.val, run.patients.val)}${imagesAndPatients(
        run.images.test,
        run.patients.test,
      )}<td class="num">${run.bestEpoch + 1} of ${run.epochsRun}</td><td class="num">${run.temperature.toFixed(2)}</td><td class="num">${formatCount(run.patientsInTwoParts)}</td>${
        hasReports && html`<td>${run.reportPath === null ? '—' : html`<a href="${run.reportPath}">${run.reportPath}</a>`}</td>`
      }</tr>
`,
    )}</tbody>
</table>
<ul class="checks">
${check(leakyFolds.length === 0, 'No patient is in two parts (training, validation, held out) of any fold.', `${leakyFolds.map((run) => `Fold ${run.fold + 1}`).join(', ')}: patients in two parts; their held-out results are not independent of training.`)}
${check(outOfFold.patientsHeldOutTwice === 0, `Each of the ${formatCount(outOfFold.patients)} patients is held out by exactly one fold.`, `${formatCount(outOfFold.patientsHeldOutTwice)} patients are held out by more than one fold.`)}
<li class="check-pass">✓ The pooled results below score ${formatCount(data.evaluation.sampleCount)} images (${heldOutTotal} held out by the folds in turn): every image once, predicted by the model that never saw its patient.</li>
</ul>${hasReports && html`<p class="note">Each fold's own report (its test results with intervals, operating points, heatmaps) is in the folder named in the last column, next to this file.</p>`}`,
  };
}
