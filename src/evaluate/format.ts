/**
 * Plain-text rendering of an evaluation report for clinicians: percentages with 95% CIs in the
 * form used by clinical papers, e.g. "93.1% (89.0–96.0)". Undefined values print as "—".
 */
import type { ClassifierReport, Estimate } from './report.ts';

export const MISSING = '—';
const MAX_NAME_WIDTH = 32;
/** Width of "100.0%": values are right-aligned to it so that a column lines up. */
const VALUE_WIDTH = 6;

type Align = 'left' | 'right';

/** 0.931 → "93.1%"; null or NaN → "—". */
export function formatPercent(value: number | null, decimals = 1): string {
  return isMissing(value) ? MISSING : `${(value * 100).toFixed(decimals)}%`;
}

/**
 * "93.1% (89.0–96.0)" for proportions, "0.962 (0.950–0.971)" for scores such as AUC and F1. A Wilson
 * interval is marked with "*". `valueWidth` right-aligns the value so that a column lines up.
 */
export function formatEstimate(estimate: Estimate, style: 'percent' | 'decimal', valueWidth = 0): string {
  if (isMissing(estimate.value)) return MISSING.padStart(valueWidth);
  const [lower, upper] = estimate.ci95;
  const number = (x: number) => (style === 'percent' ? (x * 100).toFixed(1) : x.toFixed(3));
  const value = (style === 'percent' ? `${number(estimate.value)}%` : number(estimate.value)).padStart(valueWidth);
  const interval = isMissing(lower) || isMissing(upper) ? MISSING : `${number(lower)}–${number(upper)}`;
  return `${value} (${interval})${estimate.ciMethod === 'wilson' ? '*' : ''}`;
}

/** Columns padded to their widest cell, separated by two spaces, trailing spaces trimmed. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const render = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (align[column] === 'right' ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd();
  return [render(header), ...rows.map(render)];
}

export function formatReportTable(report: ClassifierReport): string {
  const names = report.perClass.map((c) => truncate(c.name, MAX_NAME_WIDTH));
  const usesWilson = [report.accuracy, report.balancedAccuracy, report.macroF1, report.macroAuc, ...report.perClass.flatMap((c) => [c.sensitivity, c.specificity, c.ppv, c.npv, c.f1, c.auc])].some(
    (e) => e.ciMethod === 'wilson',
  );
  const population = report.patientCount === null ? `${report.sampleCount} samples` : `${report.sampleCount} samples from ${report.patientCount} patients`;
  const lines = [
    `Classifier evaluation: ${population}, ${report.classNames.length} classes`,
    `95% confidence intervals: percentile bootstrap, ${report.bootstrap.iterations} resamples of ${report.bootstrap.resampled} (seed ${report.bootstrap.seed})`,
  ];
  if (usesWilson) lines.push('* Wilson score interval, used where the bootstrap interval is degenerate (e.g. at 0% or 100%)');

  lines.push(
    '',
    ...renderTable(
      ['Overall', ''],
      [
        ['Accuracy', formatEstimate(report.accuracy, 'percent', VALUE_WIDTH)],
        ['Balanced accuracy', formatEstimate(report.balancedAccuracy, 'percent', VALUE_WIDTH)],
        ['Macro F1', formatEstimate(report.macroF1, 'decimal', VALUE_WIDTH)],
        ['Macro AUC (one-vs-rest)', formatEstimate(report.macroAuc, 'decimal', VALUE_WIDTH)],
        [`Calibration error (ECE, ${report.calibrationBins} bins)`, formatPercent(report.expectedCalibrationError).padStart(VALUE_WIDTH)],
        ['Brier score (0 best, 2 worst)', report.brierScore.toFixed(3).padStart(VALUE_WIDTH)],
      ],
      ['left', 'left'],
    ),
  );

  lines.push(
    '',
    ...renderTable(
      ['Class', 'n', 'Sensitivity', 'Specificity', 'PPV', 'NPV'],
      report.perClass.map((c, i) => [
        names[i],
        String(c.support),
        formatEstimate(c.sensitivity, 'percent', VALUE_WIDTH),
        formatEstimate(c.specificity, 'percent', VALUE_WIDTH),
        formatEstimate(c.ppv, 'percent', VALUE_WIDTH),
        formatEstimate(c.npv, 'percent', VALUE_WIDTH),
      ]),
      ['left', 'right', 'left', 'left', 'left', 'left'],
    ),
  );

  lines.push(
    '',
    ...renderTable(
      ['Class', 'n', 'F1', 'AUC (one-vs-rest)'],
      report.perClass.map((c, i) => [names[i], String(c.support), formatEstimate(c.f1, 'decimal'), formatEstimate(c.auc, 'decimal')]),
      ['left', 'right', 'left', 'left'],
    ),
  );

  const k = report.classNames.length;
  lines.push(
    '',
    'Confusion matrix (rows: true class, columns: predicted class)',
    ...renderTable(
      ['', ...Array.from({ length: k }, (_, j) => String(j + 1))],
      report.confusionMatrix.map((row, i) => [`${i + 1} ${names[i]}`, ...row.map(String)]),
      ['left', ...new Array<Align>(k).fill('right')],
    ),
  );
  return lines.join('\n');
}

function isMissing(value: number | null): value is null {
  return value === null || Number.isNaN(value);
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
