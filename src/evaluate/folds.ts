/**
 * Cross-validation summary: mean ± standard deviation of each metric's point estimate across folds.
 * The SD is the sample SD (n − 1), the spread between folds, as "mean ± SD" is reported in papers.
 */
import { MISSING, renderTable } from './format.ts';
import { OVERALL_METRICS, PER_CLASS_METRICS, type ClassifierReport, type OverallMetricName, type PerClassMetricName } from './report.ts';

export interface MeanSd {
  /** null when no fold defines the metric. */
  mean: number | null;
  /** null with fewer than two folds defining the metric. */
  sd: number | null;
  /** Folds in which the metric was defined. */
  folds: number;
}

export type FoldSummary = {
  foldCount: number;
  classNames: string[];
  expectedCalibrationError: MeanSd;
  brierScore: MeanSd;
  perClass: ({ name: string; support: MeanSd } & Record<PerClassMetricName, MeanSd>)[];
} & Record<OverallMetricName, MeanSd>;

/** Mean and sample SD of the defined (non-null, non-NaN) values. */
export function meanSd(values: readonly (number | null)[]): MeanSd {
  const defined = values.filter((v): v is number => v !== null && !Number.isNaN(v));
  const folds = defined.length;
  if (folds === 0) return { mean: null, sd: null, folds };
  const mean = defined.reduce((sum, v) => sum + v, 0) / folds;
  if (folds < 2) return { mean, sd: null, folds };
  const variance = defined.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (folds - 1);
  return { mean, sd: Math.sqrt(variance), folds };
}

export function summariseFolds(reports: readonly ClassifierReport[]): FoldSummary {
  if (reports.length === 0) throw new Error('summariseFolds: empty input');
  const classNames = reports[0].classNames;
  reports.forEach((report, fold) => {
    if (report.classNames.join('\u0000') !== classNames.join('\u0000')) {
      throw new Error(`summariseFolds: fold ${fold} has classes [${report.classNames.join(', ')}], fold 0 has [${classNames.join(', ')}]`);
    }
  });
  const overall = Object.fromEntries(OVERALL_METRICS.map((name) => [name, meanSd(reports.map((r) => r[name].value))])) as Record<OverallMetricName, MeanSd>;
  const perClass = classNames.map((name, c) => {
    const metrics = Object.fromEntries(PER_CLASS_METRICS.map((metric) => [metric, meanSd(reports.map((r) => r.perClass[c][metric].value))])) as Record<
      PerClassMetricName,
      MeanSd
    >;
    return { name, support: meanSd(reports.map((r) => r.perClass[c].support)), ...metrics };
  });
  return {
    foldCount: reports.length,
    classNames: [...classNames],
    ...overall,
    expectedCalibrationError: meanSd(reports.map((r) => r.expectedCalibrationError)),
    brierScore: meanSd(reports.map((r) => r.brierScore)),
    perClass,
  };
}

/** "93.1 ± 2.0%" for proportions, "0.962 ± 0.010" for scores, "93.1% (1 fold)" without an SD; "—" when undefined. */
export function formatMeanSd(summary: MeanSd, style: 'percent' | 'decimal'): string {
  if (summary.mean === null) return MISSING;
  const number = (x: number) => (style === 'percent' ? (x * 100).toFixed(1) : x.toFixed(3));
  const unit = style === 'percent' ? '%' : '';
  if (summary.sd === null) return `${number(summary.mean)}${unit} (${summary.folds} fold)`;
  return `${number(summary.mean)} ± ${number(summary.sd)}${unit}`;
}

export function formatFoldSummary(summary: FoldSummary): string {
  const overall: [string, MeanSd, 'percent' | 'decimal'][] = [
    ['Accuracy', summary.accuracy, 'percent'],
    ['Balanced accuracy', summary.balancedAccuracy, 'percent'],
    ['Macro F1', summary.macroF1, 'decimal'],
    ['Macro AUC (one-vs-rest)', summary.macroAuc, 'decimal'],
    ['Calibration error (ECE)', summary.expectedCalibrationError, 'percent'],
    ['Brier score', summary.brierScore, 'decimal'],
  ];
  return [
    `Cross-validation: mean ± SD over ${summary.foldCount} folds`,
    '',
    ...renderTable(['Overall', ''], overall.map(([label, value, style]) => [label, formatMeanSd(value, style)]), ['left', 'left']),
    '',
    ...renderTable(
      ['Class', 'Sensitivity', 'Specificity', 'PPV', 'NPV', 'F1', 'AUC'],
      summary.perClass.map((c) => [
        c.name,
        formatMeanSd(c.sensitivity, 'percent'),
        formatMeanSd(c.specificity, 'percent'),
        formatMeanSd(c.ppv, 'percent'),
        formatMeanSd(c.npv, 'percent'),
        formatMeanSd(c.f1, 'decimal'),
        formatMeanSd(c.auc, 'decimal'),
      ]),
      ['left', 'left', 'left', 'left', 'left', 'left', 'left'],
    ),
  ].join('\n');
}
