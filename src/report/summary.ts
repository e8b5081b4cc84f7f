/** The report's opening in plain words, for a physician: what was tested, how often the model was right, where it was weakest. */
import type { LabelTreeNode, TargetVerdict } from '../contract/index.ts';
import { targetVerdict, type ClassifierReport } from '../evaluate/index.ts';
import { formatCount, formatInterval, formatNumber } from './format.ts';
import { html, type SafeHtml } from './html.ts';
import type { OperatingPointResult, ReportData } from './types.ts';

/** Code → display name of every node of a label tree that has one: the report's `displayNames`. */
export function treeDisplayNames(tree: readonly LabelTreeNode[]): Record<string, string> {
  const names: Record<string, string> = {};
  const walk = (nodes: readonly LabelTreeNode[]) => {
    for (const node of nodes) {
      if (node.displayName) names[node.name] = node.displayName;
      if (node.children) walk(node.children);
    }
  };
  walk(tree);
  return names;
}

/** What people see for a class or group code: its display name, or the code itself. */
export function nameOf(data: Pick<ReportData, 'displayNames'>): (code: string) => string {
  return (code) => data.displayNames[code] ?? code;
}

/** Whether an operating point's test sensitivity reached the target it was chosen for (the rule of `targetVerdict`). */
export function targetShortfall(point: OperatingPointResult): TargetVerdict {
  return targetVerdict(point.targetSensitivity, point.sensitivity.value, point.sensitivity.ci95[1]);
}

interface WeakestClass {
  index: number;
  /** The class its images were most often mistaken for, or null when no image of it was mistaken. */
  confusedWith: number | null;
}

/** The class with the lowest sensitivity (the first of equals), with what it was mistaken for most often. */
export function weakestClass(report: ClassifierReport): WeakestClass | null {
  let weakest: number | null = null;
  report.perClass.forEach((row, c) => {
    const value = row.sensitivity.value;
    if (value === null || row.support === 0) return;
    if (weakest === null || value < report.perClass[weakest].sensitivity.value!) weakest = c;
  });
  if (weakest === null) return null;
  const row = report.confusionMatrix[weakest];
  let confusedWith: number | null = null;
  row.forEach((count, j) => {
    if (j !== weakest && count > 0 && (confusedWith === null || count > row[confusedWith])) confusedWith = j;
  });
  return { index: weakest, confusedWith };
}

function testedOn(report: ClassifierReport, synthetic: boolean): string {
  const images = `${formatCount(report.sampleCount)} ${synthetic ? 'synthetic ' : ''}image${report.sampleCount === 1 ? '' : 's'}`;
  return report.patientCount === null ? images : `${images} of ${formatCount(report.patientCount)} patient${report.patientCount === 1 ? '' : 's'}`;
}

/** The sentences of the plain-language summary. */
export function summarySentences(data: ReportData): string[] {
  const report = data.evaluation;
  const name = nameOf(data);
  const sentences = [
    `On ${testedOn(report, data.synthetic)} the model named the class right in ${formatNumber(report.accuracy.value, 'percent')} (95% CI ${formatInterval(report.accuracy, 'percent')}).`,
  ];
  const weakest = weakestClass(report);
  if (weakest) {
    const row = report.perClass[weakest.index];
    const mistaken = weakest.confusedWith === null ? '' : `, and most often called them ${name(report.classNames[weakest.confusedWith])}`;
    sentences.push(`It was least sure about ${name(row.name)}: it recognised ${formatNumber(row.sensitivity.value, 'percent')} of the ${formatCount(row.support)} images of that class${mistaken}.`);
  }
  if (data.referral) {
    const total = data.referral.referredCount + data.referral.retainedCount;
    sentences.push(
      `It marked ${formatCount(data.referral.referredCount)} of ${formatCount(total)} images “uncertain: refer”; on the others it was right in ${formatNumber(data.referral.retainedAccuracy.value, 'percent')}.`,
    );
  }
  const missed = (data.operatingPoints ?? []).filter((point) => targetShortfall(point).endsWith('missed'));
  if (missed.length > 0) {
    const list = missed.map((point) => `${name(point.class)} ${formatNumber(point.sensitivity.value, 'percent')} for a ${formatNumber(point.targetSensitivity, 'percent')} target`);
    sentences.push(`Operating points that missed their target sensitivity on this test set: ${list.join('; ')}.`);
  }
  return sentences;
}

export const SYNTHETIC_NOTICE =
  'Every image evaluated here is synthetic (computer-generated), not a real patient’s slide: these figures show that the software works, not how well it reads real specimens.';

/** The box at the top of the report: the synthetic-data notice when it applies, then the summary. */
export function plainSummary(data: ReportData): SafeHtml {
  return html`<div id="in-short" class="in-short" role="region" aria-labelledby="in-short-title">
<h2 id="in-short-title">In short</h2>
${data.synthetic && html`<p class="notice synthetic">${SYNTHETIC_NOTICE}</p>`}
${summarySentences(data).map((sentence) => html`<p>${sentence}</p>`)}
</div>`;
}
