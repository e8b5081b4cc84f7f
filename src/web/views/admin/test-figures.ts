import { h } from '../../dom.ts';
import { percent, scalarEntries } from '../../format.ts';
import type { OperatingPointOutcome, TestSummary } from '../../../contract/index.ts';

const FIGURES = [
  ['accuracy', 'Accuracy'],
  ['balancedAccuracy', 'Balanced accuracy'],
  ['macroF1', 'Macro-F1'],
  ['macroAuc', 'Macro AUC'],
] as const;

function isSummary(value: unknown): value is TestSummary {
  return typeof value === 'object' && value !== null && typeof (value as TestSummary).images === 'number' && Array.isArray((value as TestSummary).operatingPoints);
}

const twoDecimals = (value: number | null): string => (value === null ? '—' : value.toFixed(2));

function interval(ci: [number | null, number | null] | undefined): string {
  return ci && ci[0] !== null && ci[1] !== null ? ` (95% CI ${ci[0].toFixed(2)}–${ci[1].toFixed(2)})` : '';
}

/** An operating point with its test sensitivity, flagged when it missed its target (its verdict, from targetVerdict of src/evaluate). */
function operatingPoint(point: OperatingPointOutcome, labelOf: (name: string) => string): HTMLLIElement {
  const verdict = point.verdict;
  const measured =
    point.sensitivity === null
      ? 'no test image of this class'
      : `sensitivity ${percent(point.sensitivity)}${point.ci95 ? ` (95% CI ${percent(point.ci95[0])}–${percent(point.ci95[1])}, ${point.positives} images)` : ''}`;
  return h(
    'li',
    { attrs: { 'data-class': point.class, 'data-verdict': verdict } },
    `${labelOf(point.class)}: target ${percent(point.targetSensitivity)}, ${measured} `,
    verdict === 'missed' || verdict === 'clearly missed'
      ? h('span', { class: 'tag tag-warning' }, verdict === 'clearly missed' ? 'clearly misses its target' : 'misses its target')
      : verdict === 'unknown'
        ? h('span', { class: 'tag tag-muted' }, 'not measured')
        : null,
  );
}

/**
 * A model's test figures: each with its 95% interval; a warning instead of figures when the test
 * set was too small; the operating points with those that missed their target flagged. Models
 * registered before the summary was recorded show their scalar figures as they are.
 */
export function testFigures(metrics: unknown, labelOf: (name: string) => string = (name) => name): HTMLElement {
  const test = typeof metrics === 'object' && metrics !== null ? (metrics as { test?: unknown }).test ?? metrics : null;
  if (!isSummary(test)) {
    const entries = scalarEntries(test);
    if (entries.length === 0) return h('span', { class: 'hint' }, 'no test figures');
    return h('dl', { class: 'metrics' }, entries.map(([key, value]) => [h('dt', {}, key), h('dd', {}, value)]));
  }
  const patients = test.patients === null ? '' : ` of ${test.patients} patients`;
  const parts: HTMLElement[] = [];
  if (test.tooFew) parts.push(h('p', { class: 'message message-error test-too-few', attrs: { role: 'note' } }, `No test figures: ${test.tooFew}.`));
  else {
    parts.push(h('p', { class: 'hint' }, `On ${test.images} test images${patients}:`));
    parts.push(
      h(
        'dl',
        { class: 'metrics' },
        FIGURES.map(([key, name]) => [h('dt', {}, name), h('dd', { attrs: { 'data-figure': key } }, `${twoDecimals(test[key])}${interval(test.intervals[key])}`)]),
        h('dt', {}, 'Calibration error (ECE)'),
        h('dd', { attrs: { 'data-figure': 'expectedCalibrationError' } }, twoDecimals(test.expectedCalibrationError)),
      ),
    );
  }
  if (test.operatingPoints.length > 0) {
    parts.push(h('p', { class: 'hint' }, 'Operating points (chosen on validation, measured on test):'));
    parts.push(h('ul', { class: 'operating-points' }, test.operatingPoints.map((point) => operatingPoint(point, labelOf))));
  }
  return h('div', { class: 'test-figures' }, parts);
}
