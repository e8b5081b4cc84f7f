/** The report's sections; each returns null when its input was not given, so it is left out. */
import { MISSING, type ClassifierReport, type Estimate } from '../evaluate/index.ts';
import { BEFORE_COLOUR, CURVE_COLOUR, precisionRecallChart, reliabilityChart, rocChart } from './charts.ts';
import { formatCount, formatInterval, formatNumber, formatTimestamp, type NumberStyle } from './format.ts';
import { breakableText, html, type SafeHtml } from './html.ts';
import { confusionTable, estimateCell, perClassTable } from './tables.ts';
import { nameOf, targetShortfall } from './summary.ts';
import type { CalibrationSummary, NamedReport, OperatingPointResult, ReportData } from './types.ts';

export interface Section {
  id: string;
  title: string;
  body: SafeHtml;
}

const RESEARCH_USE_NOTICE = 'Research use only — not a medical device';

export function header(data: ReportData): SafeHtml {
  return html`<header>
<p class="notice">${RESEARCH_USE_NOTICE}. Not for diagnosis or treatment decisions.</p>
<h1>${data.title}</h1>
<dl class="meta"><div><dt>Date</dt><dd>${formatTimestamp(data.createdAt)}</dd></div><div><dt>Model</dt><dd>${data.model}</dd></div><div><dt>${data.crossValidation?.outOfFold ? 'Out-of-fold predictions' : 'Test set'}</dt><dd>${population(data.evaluation)}</dd></div></dl>
</header>`;
}

function population(report: ClassifierReport): string {
  const images = `${formatCount(report.sampleCount)} images`;
  const patients = report.patientCount === null ? '' : ` from ${formatCount(report.patientCount)} patients`;
  return `${images}${patients}, ${report.classNames.length} classes`;
}

function intervalNote(report: ClassifierReport): SafeHtml {
  const { iterations, resampled, seed } = report.bootstrap;
  return html`<p class="note">95% confidence intervals (smaller grey numbers): percentile bootstrap, ${formatCount(iterations)} resamples of ${resampled}${
    resampled === 'patients' ? ' (all images of a patient are drawn together)' : ''
  }, seed ${seed}. * marks a Wilson score interval, used where the bootstrap interval is degenerate (e.g. at 0% or 100%).</p>`;
}

export const HEADLINE_METRICS: readonly { key: 'accuracy' | 'balancedAccuracy' | 'macroF1' | 'macroAuc'; title: string; style: NumberStyle; meaning: string }[] = [
  { key: 'accuracy', title: 'Accuracy', style: 'percent', meaning: 'Share of all images given the correct class.' },
  {
    key: 'balancedAccuracy',
    title: 'Balanced accuracy',
    style: 'percent',
    meaning: 'Average sensitivity over the classes: every class counts equally, however rare.',
  },
  { key: 'macroF1', title: 'Macro F1', style: 'decimal', meaning: 'Average over the classes of F1, which balances sensitivity and PPV (0 to 1).' },
  {
    key: 'macroAuc',
    title: 'Macro AUC',
    style: 'decimal',
    meaning: 'Average over the classes of the AUC: how well the scores rank images of a class above the others (0.5 = chance, 1 = perfect).',
  },
];

export function summarySection(data: ReportData): Section {
  const report = data.evaluation;
  const after = data.calibration.after;
  return {
    id: 'summary',
    title: data.crossValidation?.outOfFold ? 'Pooled out-of-fold results' : 'Headline results',
    body: html`${data.crossValidation?.outOfFold && html`<p>Every image scored once, by the model of the fold that held out its patient; the sections below use these pooled predictions.</p>`}<table class="metrics headline">
<thead><tr><th scope="col">Metric</th><th scope="col" class="num">Value</th><th scope="col" class="num">95% CI</th><th scope="col">What it means</th></tr></thead>
<tbody>${HEADLINE_METRICS.map((metric) => {
      const estimate = report[metric.key];
      return html`<tr><th scope="row">${metric.title}</th><td class="num value">${formatNumber(estimate.value, metric.style)}</td><td class="num">${formatInterval(estimate, metric.style)}</td><td>${metric.meaning}</td></tr>
`;
    })}<tr><th scope="row">Calibration error (ECE)</th><td class="num value">${formatNumber(after.expectedCalibrationError, 'percent')}</td><td class="num">not estimated</td><td>Average gap between the model's stated confidence and how often it is right (0% = confidence can be taken at face value).</td></tr>
</tbody>
</table>
${intervalNote(report)}
<div class="definitions">
<h3>How to read the per-class numbers</h3>
<p>Each class is scored as “this class” against “all other classes”.</p>
<dl>
<dt>Sensitivity</dt><dd>Of the images that truly show this class, the share the model calls this class. 1 − sensitivity is the share missed.</dd>
<dt>Specificity</dt><dd>Of the images that do not show this class, the share the model correctly does not call this class.</dd>
<dt>PPV (positive predictive value)</dt><dd>When the model says “this class”, how often it is right. Depends on how common the class is in this test set.</dd>
<dt>NPV (negative predictive value)</dt><dd>When the model says “not this class”, how often it is right. Also depends on how common the class is.</dd>
<dt>F1</dt><dd>One number balancing sensitivity and PPV, from 0 to 1.</dd>
<dt>AUC</dt><dd>The chance that a random image of this class scores higher for it than a random image of another class (0.5 = coin toss, 1 = perfect).</dd>
<dt>95% CI</dt><dd>The range the true value plausibly lies in, given how many images were tested. Wide ranges mean few images: treat the value with caution.</dd>
</dl>
</div>`,
  };
}

export function perClassSection(data: ReportData): Section {
  return {
    id: 'per-class',
    title: 'Results per class',
    body: html`${perClassTable(data.evaluation, nameOf(data), data.patientsPerClass)}
<p class="note">“—”: undefined (e.g. the PPV of a class the model never predicted). The predicted class is the one with the highest probability.</p>`,
  };
}

export function confusionSection(data: ReportData): Section {
  const { confusionMatrix } = data.evaluation;
  const classNames = data.evaluation.classNames.map(nameOf(data));
  return {
    id: 'confusion',
    title: 'Confusion matrix',
    body: html`<p>Rows are the true class, columns the class the model predicted; the diagonal holds the correct answers. Shading shows each cell's share of its row, so a dark diagonal means high sensitivity.</p>
<h3>Number of images</h3>
${confusionTable(classNames, confusionMatrix, 'counts')}
<h3>Share of each true class (row %)</h3>
${confusionTable(classNames, confusionMatrix, 'shares')}`,
  };
}

function estimateText(estimate: Estimate, style: NumberStyle): string {
  return estimate.value === null ? MISSING : `${formatNumber(estimate.value, style)} (${formatInterval(estimate, style)})`;
}

export function rocSection(data: ReportData): Section {
  const report = data.evaluation;
  const name = nameOf(data);
  return {
    id: 'roc',
    title: 'ROC curves',
    body: html`<p>Each panel scores one class against all others. The curve traces sensitivity against 1 − specificity as the threshold on the class's probability moves; the dashed diagonal is chance. <strong>Macro AUC ${estimateText(report.macroAuc, 'decimal')}</strong>.</p>
<div class="panels">${data.curves.map((curve, c) => {
      const auc = report.perClass[c].auc;
      return html`<figure class="panel">${rocChart(`ROC curve of ${name(curve.className)}`, curve.roc)}<figcaption><span class="class-name">${breakableText(name(curve.className))}</span>${
        curve.roc ? html`AUC ${estimateText(auc, 'decimal')}` : 'No curve: the test set lacks positives or negatives of this class'
      }</figcaption></figure>`;
    })}</div>`,
  };
}

export function precisionRecallSection(data: ReportData): Section {
  const name = nameOf(data);
  return {
    id: 'precision-recall',
    title: 'Precision-recall curves',
    body: html`<p>Precision (PPV) against recall (sensitivity) for each class against all others; more informative than ROC for rare classes. The dashed line is the class's prevalence, the precision of a random guess. AP (average precision) summarises the curve, from the prevalence (chance) to 1.</p>
<div class="panels">${data.curves.map(
      (curve) =>
        html`<figure class="panel">${precisionRecallChart(`Precision-recall curve of ${name(curve.className)}`, curve.precisionRecall, curve.prevalence)}<figcaption><span class="class-name">${breakableText(name(curve.className))}</span>${
          curve.precisionRecall
            ? `AP ${formatNumber(curve.averagePrecision, 'decimal')} · prevalence ${formatNumber(curve.prevalence, 'percent')}`
            : 'No curve: the test set has no images of this class'
        }</figcaption></figure>`,
    )}</div>`,
  };
}

function calibrationRow(title: string, pick: (summary: CalibrationSummary) => string, before: CalibrationSummary | null, after: CalibrationSummary): SafeHtml {
  return html`<tr><th scope="row">${title}</th>${before && html`<td class="num">${pick(before)}</td>`}<td class="num">${pick(after)}</td></tr>`;
}

export function calibrationSection(data: ReportData): Section {
  const { before, after, temperature, bins } = data.calibration;
  const afterTitle = before ? 'After temperature scaling' : 'Probabilities as reported';
  const temperatureText = temperature === null ? null : `Temperature T = ${temperature.toFixed(2)}`;
  return {
    id: 'calibration',
    title: 'Calibration',
    body: html`<p>Does a stated confidence of 90% come true 90% of the time? Images are grouped into ${bins} bins by the model's top probability; each bar is the observed accuracy in its bin. Bars on the dashed diagonal mean well-calibrated confidence; bars below it mean over-confidence. Faint bars hold under 1% of the images.</p>
<div class="panels">${
      before && html`<figure class="panel">${reliabilityChart('Reliability diagram before temperature scaling', before.reliability, BEFORE_COLOUR)}<figcaption><span class="class-name">Before temperature scaling</span></figcaption></figure>`
    }<figure class="panel">${reliabilityChart(`Reliability diagram: ${afterTitle}`, after.reliability, CURVE_COLOUR)}<figcaption><span class="class-name">${afterTitle}</span>${temperatureText}</figcaption></figure></div>
<table class="metrics compact">
<thead><tr><th scope="col"></th>${before && html`<th scope="col" class="num">Before</th>`}<th scope="col" class="num">${before ? 'After' : 'Value'}</th></tr></thead>
<tbody>
${calibrationRow('Expected calibration error (ECE; 0% is perfect)', (s) => formatNumber(s.expectedCalibrationError, 'percent'), before, after)}
${calibrationRow('Brier score (0 is perfect, 2 is worst)', (s) => s.brierScore.toFixed(3), before, after)}
</tbody>
</table>
${before && html`<p class="note">Temperature scaling divides the model's logits by one number T fitted on validation data${data.crossValidation?.outOfFold ? " (each fold's model has its own T, listed under Folds and patients)" : ''}; it changes confidence, never the predicted class.</p>`}`,
  };
}

const SHORTFALL_TEXT = { met: 'met', missed: 'missed', 'clearly missed': 'missed: its whole interval lies below', unknown: 'no test image of the class' } as const;

function targetCell(point: OperatingPointResult): SafeHtml {
  const shortfall = targetShortfall(point);
  return html`<td class="${shortfall === 'met' ? 'check-pass' : shortfall === 'unknown' ? '' : 'check-fail'}" data-target="${shortfall}">${SHORTFALL_TEXT[shortfall]}</td>`;
}

export function operatingPointsSection(data: ReportData): Section | null {
  if (!data.operatingPoints) return null;
  const name = nameOf(data);
  return {
    id: 'operating-points',
    title: 'Operating points',
    body: html`<p>For these classes a threshold on the class's probability was chosen on validation data to reach a target sensitivity. The table shows what that threshold achieves on this test set. A test sensitivity well below the target means the threshold does not carry over.</p>
<table class="metrics">
<thead><tr><th scope="col">Class</th><th scope="col" class="num">Target sensitivity</th><th scope="col" class="num">Threshold</th><th scope="col" class="num">Sensitivity</th><th scope="col">Target met?</th><th scope="col" class="num">Specificity</th><th scope="col" class="num">PPV</th><th scope="col" class="num">NPV</th><th scope="col" class="num">TP / FN / FP / TN</th></tr></thead>
<tbody>${data.operatingPoints.map(
      (point) =>
        html`<tr><th scope="row">${breakableText(name(point.class))}</th><td class="num">${formatNumber(point.targetSensitivity, 'percent')}</td><td class="num">${point.threshold.toFixed(3)}</td>${estimateCell(point.sensitivity, 'percent')}${targetCell(point)}${estimateCell(point.specificity, 'percent')}${estimateCell(point.ppv, 'percent')}${estimateCell(point.npv, 'percent')}<td class="num">${[
          point.counts.tp,
          point.counts.fn,
          point.counts.fp,
          point.counts.tn,
        ]
          .map(formatCount)
          .join(' / ')}</td></tr>
`,
    )}</tbody>
</table>`,
  };
}

export function referralSection(data: ReportData): Section | null {
  const referral = data.referral;
  if (!referral) return null;
  const total = referral.referredCount + referral.retainedCount;
  return {
    id: 'referral',
    title: 'Uncertain cases referred to a human',
    body: html`<p>Images whose top probability is below <strong>${formatNumber(referral.confidenceLevel, 'percent')}</strong> are marked “uncertain → refer” instead of being given a class.</p>
<table class="metrics compact">
<thead><tr><th scope="col"></th><th scope="col" class="num">Value (95% CI)</th><th scope="col">Images</th></tr></thead>
<tbody>
<tr><th scope="row">Referred to a human</th>${estimateCell(referral.referralRate, 'percent')}<td>${formatCount(referral.referredCount)} of ${formatCount(total)}</td></tr>
<tr><th scope="row">Accuracy on the images kept</th>${estimateCell(referral.retainedAccuracy, 'percent')}<td>${formatCount(referral.retainedCount)}</td></tr>
<tr><th scope="row">Accuracy on all images, no referral</th>${estimateCell(referral.overallAccuracy, 'percent')}<td>${formatCount(total)}</td></tr>
</tbody>
</table>
<p class="note">Intervals of the first two rows: Wilson score intervals, which treat images as independent.</p>`,
  };
}

export function errorsSection(data: ReportData): Section | null {
  if (!data.errors) return null;
  const names = data.evaluation.classNames.map(nameOf(data));
  return {
    id: 'errors',
    title: 'Most confident errors',
    body: html`<p>The wrong answers the model was most sure of, most confident first. Look for label mistakes, artefacts and look-alike classes.</p>
${data.errors.length === 0 ? html`<p>The model made no errors on this test set.</p>` : ''}<div class="errors">${data.errors.map(
      (error) =>
        html`<figure class="error">${
          error.thumbnail ? html`<img src="${error.thumbnail}" alt="${`Image ${error.source}`}">` : html`<div class="no-image">no image</div>`
        }<figcaption><span class="source">${error.source}</span><span>True: <strong>${names[error.trueLabel]}</strong></span><span>Predicted: <strong>${names[error.predicted]}</strong></span><span>Confidence ${formatNumber(error.confidence, 'percent')}</span></figcaption></figure>`,
    )}</div>`,
  };
}

export function gallerySection(data: ReportData): Section | null {
  if (!data.gallery || data.gallery.length === 0) return null;
  const names = data.evaluation.classNames.map(nameOf(data));
  const group = (correct: boolean, title: string) => {
    const items = data.gallery!.filter((item) => item.correct === correct);
    if (items.length === 0) return html``;
    return html`<h3>${title}</h3><div class="errors">${items.map(
      (item) =>
        html`<figure class="error"><img src="${item.overlay}" alt="${`${item.method} heatmap over ${item.source}`}"><figcaption><span class="source">${item.source}</span><span>True: <strong>${names[item.trueLabel]}</strong></span><span>Predicted: <strong>${names[item.predicted]}</strong></span><span>Confidence ${formatNumber(item.confidence, 'percent')}</span></figcaption></figure>`,
    )}</div>`;
  };
  return {
    id: 'gallery',
    title: 'What the model looked at',
    body: html`<p>Heatmaps (${data.gallery[0].method}, turbo colours: red = most influence on the predicted class) over test images. Check that the model looks at the organisms, not at background, debris or artefacts.</p>
${group(true, 'Correct predictions')}${group(false, 'Wrong predictions')}`,
  };
}

function overviewTable(firstColumn: string, rows: readonly NamedReport[], describe: (report: ClassifierReport) => string): SafeHtml {
  return html`<table class="metrics">
<thead><tr><th scope="col">${firstColumn}</th><th scope="col">Images</th>${HEADLINE_METRICS.map((metric) => html`<th scope="col" class="num">${metric.title}</th>`)}</tr></thead>
<tbody>${rows.map(
    ({ name, report }) =>
      html`<tr><th scope="row">${name}</th><td>${describe(report)}</td>${HEADLINE_METRICS.map((metric) => estimateCell(report[metric.key], metric.style))}</tr>
`,
  )}</tbody>
</table>`;
}

function imagesAndPatients(report: ClassifierReport): string {
  return report.patientCount === null ? formatCount(report.sampleCount) : `${formatCount(report.sampleCount)} (${formatCount(report.patientCount)} patients)`;
}

export function levelsSection(data: ReportData): Section | null {
  if (!data.levels) return null;
  return {
    id: 'levels',
    title: 'Results per label-tree level',
    body: html`<p>The same predictions scored at coarser levels of the label tree (e.g. Gram-positive vs Gram-negative): mistakes between classes of one group do not count at that group's level.</p>
${overviewTable('Level', data.levels, (report) => `${formatCount(report.sampleCount)}, ${report.classNames.length} classes`)}
${data.levels.map(({ name, report }) => html`<h3>${name}</h3>
${perClassTable(report, nameOf(data))}`)}`,
  };
}

export function slicesSection(data: ReportData): Section | null {
  if (!data.slices) return null;
  const classNames = data.evaluation.classNames;
  const sensitivityOf = (report: ClassifierReport, className: string) => report.perClass.find((c) => c.name === className)?.sensitivity;
  return {
    id: 'slices',
    title: 'Results per subgroup',
    body: html`<p>The test set split by how the images were made (stain, device, …). Subgroups hold fewer images, so their intervals are wider; look for subgroups whose interval lies clearly below the others.</p>
${overviewTable('Subgroup', data.slices, imagesAndPatients)}
<h3>Sensitivity per class in each subgroup</h3>
<table class="metrics">
<thead><tr><th scope="col">Subgroup</th>${classNames.map((name) => html`<th scope="col" class="num">${breakableText(nameOf(data)(name))}</th>`)}</tr></thead>
<tbody>${data.slices.map(
      ({ name, report }) =>
        html`<tr><th scope="row">${name}</th>${classNames.map((className) => {
          const sensitivity = sensitivityOf(report, className);
          return sensitivity ? estimateCell(sensitivity, 'percent') : html`<td class="num missing">${MISSING}</td>`;
        })}</tr>
`,
    )}</tbody>
</table>`,
  };
}

export function datasetSection(data: ReportData): Section {
  const card = data.datasetCard;
  const classNames = data.evaluation.classNames;
  const splitTotal = (counts: readonly number[]) => counts.reduce((sum, count) => sum + count, 0);
  const { width, height, channels } = card.imageSize;
  return {
    id: 'dataset',
    title: 'Dataset card',
    body: html`<p>${card.description}</p>
<table class="metrics compact dataset">
<thead><tr><th scope="col">Class</th>${card.splits.map((split) => html`<th scope="col" class="num">${split.name}</th>`)}</tr></thead>
<tbody>${classNames.map((name, c) => html`<tr><th scope="row">${breakableText(nameOf(data)(name))}</th>${card.splits.map((split) => html`<td class="num">${formatCount(split.classCounts[c])}</td>`)}</tr>
`)}<tr class="total"><th scope="row">All images</th>${card.splits.map((split) => html`<td class="num">${formatCount(splitTotal(split.classCounts))}</td>`)}</tr>
<tr class="total"><th scope="row">Patients</th>${card.splits.map((split) => html`<td class="num">${split.patients === null ? 'unknown' : formatCount(split.patients)}</td>`)}</tr></tbody>
</table>
<dl class="meta"><div><dt>Image size seen by the model</dt><dd>${width} × ${height} pixels, ${channels} channel${channels === 1 ? '' : 's'}</dd></div><div><dt>Seed</dt><dd>${card.seed}</dd></div></dl>
<details class="config"><summary>Configuration that reproduces the run (JSON)</summary>
<pre class="config">${JSON.stringify(card.config, null, 2)}</pre>
</details>`,
  };
}
