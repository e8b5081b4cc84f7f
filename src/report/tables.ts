/** HTML tables shared by several sections: estimates with their intervals, per-class metrics, confusion matrices. */
import { formatMeanSd, MISSING, type ClassifierReport, type Estimate, type MeanSd } from '../evaluate/index.ts';
import { colourRamp, textColourFor } from './colour.ts';
import { formatCount, formatInterval, formatNumber, type NumberStyle } from './format.ts';
import { breakableText, html, type SafeHtml } from './html.ts';

/** A value with its 95% interval on a second, smaller line. */
export function estimateCell(estimate: Estimate, style: NumberStyle): SafeHtml {
  if (estimate.value === null) return html`<td class="num missing">${MISSING}</td>`;
  return html`<td class="num"><span class="value">${formatNumber(estimate.value, style)}</span><span class="ci">${formatInterval(estimate, style)}</span></td>`;
}

export function meanSdCell(summary: MeanSd, style: NumberStyle): SafeHtml {
  return html`<td class="num">${formatMeanSd(summary, style)}</td>`;
}

export const PER_CLASS_COLUMNS: readonly { key: 'sensitivity' | 'specificity' | 'ppv' | 'npv' | 'f1' | 'auc'; title: string; style: NumberStyle }[] = [
  { key: 'sensitivity', title: 'Sensitivity', style: 'percent' },
  { key: 'specificity', title: 'Specificity', style: 'percent' },
  { key: 'ppv', title: 'PPV', style: 'percent' },
  { key: 'npv', title: 'NPV', style: 'percent' },
  { key: 'f1', title: 'F1', style: 'decimal' },
  { key: 'auc', title: 'AUC', style: 'decimal' },
];

/**
 * The per-class metrics, classes shown by `nameOf`; with `patients` (distinct patients per class)
 * the images column says how many patients stand behind each interval.
 */
export function perClassTable(report: ClassifierReport, nameOf: (code: string) => string = (code) => code, patients: readonly number[] | null = null): SafeHtml {
  return html`<table class="metrics">
<thead><tr><th scope="col">Class</th><th scope="col" class="num">${patients ? 'Images (patients)' : 'Images'}</th>${PER_CLASS_COLUMNS.map((column) => html`<th scope="col" class="num">${column.title}</th>`)}</tr></thead>
<tbody>${report.perClass.map(
    (row, c) =>
      html`<tr><th scope="row">${breakableText(nameOf(row.name))}</th><td class="num">${formatCount(row.support)}${patients && html`<span class="ci">${formatCount(patients[c])} patient${patients[c] === 1 ? '' : 's'}</span>`}</td>${PER_CLASS_COLUMNS.map((column) => estimateCell(row[column.key], column.style))}</tr>
`,
  )}</tbody>
</table>`;
}

/**
 * Share of the row: "93%"; "<1%" and ">99%" near the ends, so a rare error never reads as none (or
 * as all); "—" for an empty row.
 */
export function formatRowShare(count: number, rowTotal: number): string {
  if (rowTotal === 0) return MISSING;
  const share = count / rowTotal;
  if (share > 0 && share < 0.005) return '<1%';
  if (share < 1 && share >= 0.995) return '>99%';
  return `${Math.round(share * 100)}%`;
}

/**
 * Confusion matrix with every cell shaded by its share of the row (the true class), so the
 * diagonal reads as per-class sensitivity whatever the class sizes. Shows counts or row shares.
 */
export function confusionTable(classNames: readonly string[], matrix: readonly (readonly number[])[], show: 'counts' | 'shares'): SafeHtml {
  const rowTotals = matrix.map((row) => row.reduce((sum, count) => sum + count, 0));
  const cell = (count: number, i: number, j: number) => {
    const background = colourRamp(rowTotals[i] === 0 ? 0 : count / rowTotals[i]);
    const text = show === 'counts' ? formatCount(count) : formatRowShare(count, rowTotals[i]);
    const title = `True ${classNames[i]}, predicted ${classNames[j]}: ${formatCount(count)} of ${formatCount(rowTotals[i])}`;
    const classes = ['cm', i === j && 'diagonal', count === 0 && 'zero'].filter(Boolean).join(' ');
    // An empty cell is white and its "0" is greyed by the stylesheet, so the non-zero cells stand out.
    const style = count === 0 ? `background:${background}` : `background:${background};color:${textColourFor(background)}`;
    return html`<td class="${classes}" style="${style}" title="${title}">${text}</td>`;
  };
  return html`<table class="confusion">
<thead><tr><th scope="col" class="corner">True ↓ / Predicted →</th>${classNames.map((name) => html`<th scope="col" class="rotated"><span>${name}</span></th>`)}${
    show === 'counts' && html`<th scope="col" class="num total">Total</th>`
  }</tr></thead>
<tbody>${matrix.map(
    (row, i) =>
      html`<tr><th scope="row">${classNames[i]}</th>${row.map((count, j) => cell(count, i, j))}${show === 'counts' && html`<td class="num total">${formatCount(rowTotals[i])}</td>`}</tr>
`,
  )}</tbody>
</table>`;
}
