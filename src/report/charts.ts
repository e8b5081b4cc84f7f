/** The report's charts as inline SVG strings: ROC and precision-recall panels, reliability diagrams. */
import { formatNumber } from './format.ts';
import { html, type SafeHtml } from './html.ts';
import { axisTicks, formatCoordinate, linearScale, polylinePath, scalePoints, type Point, type Scale } from './svg.ts';
import type { ReliabilityBinData } from './types.ts';

const SIZE = 240;
const MARGIN = { top: 8, right: 10, bottom: 38, left: 44 };
const PLOT_LEFT = MARGIN.left;
const PLOT_RIGHT = SIZE - MARGIN.right;
const PLOT_TOP = MARGIN.top;
const PLOT_BOTTOM = SIZE - MARGIN.bottom;

export const CURVE_COLOUR = '#0072b2';
export const BEFORE_COLOUR = '#e69f00';
const GUIDE_COLOUR = '#8c8c8c';

interface Frame {
  x: Scale;
  y: Scale;
}

const UNIT_FRAME: Frame = { x: linearScale([0, 1], [PLOT_LEFT, PLOT_RIGHT]), y: linearScale([0, 1], [PLOT_BOTTOM, PLOT_TOP]) };

/** Grid, ticks and axis titles of a unit-square plot. */
function axes(xTitle: string, yTitle: string): SafeHtml {
  const { x, y } = UNIT_FRAME;
  const ticks = axisTicks(0, 1, 5);
  const position = (value: number) => formatCoordinate(value, 1);
  return html`<g class="grid">${ticks.map(
    (t) => html`<line x1="${position(x(t))}" y1="${PLOT_TOP}" x2="${position(x(t))}" y2="${PLOT_BOTTOM}"/><line x1="${PLOT_LEFT}" y1="${position(y(t))}" x2="${PLOT_RIGHT}" y2="${position(y(t))}"/>`,
  )}</g><rect class="frame" x="${PLOT_LEFT}" y="${PLOT_TOP}" width="${PLOT_RIGHT - PLOT_LEFT}" height="${PLOT_BOTTOM - PLOT_TOP}"/><g class="tick-labels">${ticks.map(
    (t) =>
      html`<text x="${position(x(t))}" y="${PLOT_BOTTOM + 13}" text-anchor="middle">${String(t)}</text><text x="${PLOT_LEFT - 4}" y="${position(y(t) + 3.5)}" text-anchor="end">${String(t)}</text>`,
  )}</g><text class="axis-title" x="${position((PLOT_LEFT + PLOT_RIGHT) / 2)}" y="${SIZE - 6}" text-anchor="middle">${xTitle}</text><text class="axis-title" transform="translate(11 ${position((PLOT_TOP + PLOT_BOTTOM) / 2)}) rotate(-90)" text-anchor="middle">${yTitle}</text>`;
}

function svg(label: string, content: SafeHtml): SafeHtml {
  return html`<svg class="chart" viewBox="0 0 ${SIZE} ${SIZE}" width="${SIZE}" height="${SIZE}" role="img" aria-label="${label}">${content}</svg>`;
}

function curvePath(points: readonly Point[], colour: string, className = 'curve'): SafeHtml {
  return html`<path class="${className}" d="${polylinePath(scalePoints(points, UNIT_FRAME.x, UNIT_FRAME.y))}" stroke="${colour}"/>`;
}

/** ROC curve with the chance diagonal; null points draw only the frame (class without positives or negatives). */
export function rocChart(label: string, points: readonly Point[] | null): SafeHtml {
  const diagonal = curvePath(
    [
      [0, 0],
      [1, 1],
    ],
    GUIDE_COLOUR,
    'guide',
  );
  return svg(label, html`${axes('1 − specificity', 'Sensitivity')}${diagonal}${points && curvePath(points, CURVE_COLOUR)}`);
}

/** Precision-recall step curve with the chance level (the class's prevalence). */
export function precisionRecallChart(label: string, points: readonly Point[] | null, prevalence: number): SafeHtml {
  const chance = curvePath(
    [
      [0, prevalence],
      [1, prevalence],
    ],
    GUIDE_COLOUR,
    'guide',
  );
  return svg(label, html`${axes('Recall (sensitivity)', 'Precision (PPV)')}${chance}${points && curvePath(points, CURVE_COLOUR)}`);
}

/**
 * Reliability diagram: per confidence bin, the observed accuracy as a bar; perfect calibration puts
 * every bar top on the diagonal. Bars of bins holding under 1% of
 * the images are drawn faint, since their accuracy is noise.
 */
export function reliabilityChart(label: string, bins: readonly ReliabilityBinData[], colour: string): SafeHtml {
  const { x, y } = UNIT_FRAME;
  const total = bins.reduce((sum, bin) => sum + bin.count, 0);
  const position = (value: number) => formatCoordinate(value, 1);
  const bars = bins
    .filter((bin) => bin.count > 0 && bin.accuracy !== null)
    .map((bin) => {
      const left = x(bin.lower) + 0.5;
      const width = x(bin.upper) - x(bin.lower) - 1;
      const top = y(bin.accuracy ?? 0);
      const faint = bin.count < 0.01 * total;
      const accuracy = formatNumber(bin.accuracy, 'percent');
      return html`<rect x="${position(left)}" y="${position(top)}" width="${position(width)}" height="${position(PLOT_BOTTOM - top)}" fill="${colour}" fill-opacity="${faint ? 0.3 : 0.85}"><title>${`Confidence ${formatNumber(bin.lower, 'percent')}–${formatNumber(bin.upper, 'percent')}: ${bin.count} images, accuracy ${accuracy}`}</title></rect>`;
    });
  const diagonal = curvePath(
    [
      [0, 0],
      [1, 1],
    ],
    GUIDE_COLOUR,
    'guide',
  );
  return svg(label, html`${axes('Confidence (top probability)', 'Observed accuracy')}${bars}${diagonal}`);
}
