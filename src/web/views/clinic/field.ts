import { h } from '../../dom.ts';
import type { FieldSummary, FieldSummaryView } from '../../../contract/index.ts';
import { overlayViewer } from './heatmap.ts';

/** What each quality-check reason means for the person holding the phone. */
export const QUALITY_ADVICE: Record<string, string> = {
  'no field of view': 'No lit microscope field was found. Check the light and that the camera looks straight into the eyepiece.',
  'field of view too small': 'The lit field fills only a small part of the photo. Hold the phone closer to the eyepiece.',
  'out of focus': 'Turn the fine focus until the organisms have sharp edges.',
  'too dark': 'Open the condenser diaphragm or turn up the light.',
  'too bright': 'Much of the field is washed out. Turn down the light or the exposure.',
  'magnification too low': 'Use the 100× oil objective, or check the photo scale setting.',
  'magnification too high': 'Zoom out on the phone, or check the photo scale setting.',
};

const DEFAULT_TILE_MAP_OPACITY = 70;

function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function reasonList(reasons: readonly string[]): HTMLUListElement {
  return h(
    'ul',
    { class: 'quality-reasons' },
    reasons.map((reason) => h('li', { attrs: { 'data-reason': reason } }, h('strong', {}, sentence(reason)), QUALITY_ADVICE[reason] ? ` — ${QUALITY_ADVICE[reason]}` : null)),
  );
}

function warningList(warnings: readonly string[]): HTMLUListElement | null {
  return warnings.length > 0 ? h('ul', { class: 'field-warnings hint' }, warnings.map((warning) => h('li', {}, sentence(warning)))) : null;
}

/** A photo refused by the quality check: the reasons and what to do, no prediction, and an explicit way to predict anyway. */
export function qualityRejection(reasons: readonly string[], warnings: readonly string[], onPredictAnyway: (button: HTMLButtonElement) => void): HTMLElement {
  const anyway = h('button', { type: 'button', class: 'button' }, 'Predict anyway');
  anyway.addEventListener('click', () => onPredictAnyway(anyway));
  return h(
    'section',
    { class: 'quality-check quality-failed', attrs: { 'aria-labelledby': 'quality-title' } },
    h('h2', { id: 'quality-title', tabIndex: -1 }, 'Photo quality check failed'),
    h('p', { attrs: { role: 'alert' } }, 'No prediction was made. Take the photo again:'),
    reasonList(reasons),
    warningList(warnings),
    h('div', { class: 'button-row' }, anyway),
    h('p', { class: 'hint' }, 'A prediction on this photo is less reliable; it will be marked as made despite the failed check, in the audit trail too.'),
  );
}

/** The quality verdict shown before a whole-field result: a warning when it was predicted anyway. */
export function fieldQuality(field: FieldSummary): HTMLElement {
  if (!field.forced) return h('p', { class: 'quality-check quality-ok' }, h('strong', {}, 'Photo quality: passed'));
  return h(
    'div',
    { class: 'quality-check banner banner-warning', attrs: { role: 'alert' } },
    h('strong', {}, 'Predicted despite a failed photo quality check'),
    reasonList(field.quality.reasons),
  );
}

const tileText = (n: number): string => `${n} ${n === 1 ? 'tile' : 'tiles'}`;

/**
 * Morphotypes present with their tile counts (the legend's counts, and how many of those tiles are
 * confident), whether there are several, and how many tiles were read.
 */
export function fieldFacts(field: FieldSummary, labelOf: (name: string) => string): HTMLElement {
  const counts = field.morphotypes.map((m) => `${labelOf(m.label)} (${tileText(m.tileCount)}${m.confidentTiles === undefined ? '' : `, ${m.confidentTiles} confident`})`);
  // Two morphotypes present that do not make the field polymicrobial: the model could not tell them apart.
  const present = counts.join(', ') + (field.morphotypes.length >= 2 && !field.multiple ? ' — not told apart' : '');
  const empty = field.tiles.total - field.tiles.inferred;
  return h(
    'div',
    { class: 'field-facts' },
    h(
      'dl',
      {},
      h('dt', {}, 'Morphotypes present'),
      h('dd', { attrs: { 'data-fact': 'morphotypes' } }, present || 'none'),
      h('dt', {}, 'Several morphotypes'),
      h('dd', { attrs: { 'data-fact': 'multiple' } }, field.multiple ? 'yes' : 'no'),
      h('dt', {}, 'Tiles read'),
      h('dd', { attrs: { 'data-fact': 'tiles' } }, `${field.tiles.inferred} of ${field.tiles.total}${empty > 0 ? ` (${empty} empty, not read)` : ''}`),
    ),
    warningList(field.warnings),
  );
}

/** The photo with the tile map over it, its legend, a show/hide switch and an opacity slider. */
export function tileMapViewer(photoUrl: string, field: FieldSummaryView, labelOf: (name: string) => string): HTMLElement | null {
  if (!field.tileMapUrl) return null;
  const legend = h(
    'ul',
    { class: 'legend', attrs: { 'aria-label': 'Tile map legend' } },
    field.legend.map((entry) => {
      const swatch = h('span', { class: 'swatch', attrs: { 'aria-hidden': 'true' } });
      swatch.style.backgroundColor = entry.colour;
      return h('li', { attrs: { 'data-class': entry.label } }, swatch, h('span', {}, `${labelOf(entry.label)} — ${tileText(entry.tiles)}`));
    }),
  );
  return overlayViewer(photoUrl, field.tileMapUrl, {
    photoAlt: 'The specimen photo under its tile map',
    overlayAlt: 'Tile map over the photo',
    name: 'tile map',
    caption: 'Tile map: each square is a part of the field the model read, in the colour of its most likely class; the stronger the colour, the more confident. Empty parts are left clear.',
    opacity: DEFAULT_TILE_MAP_OPACITY,
    extra: legend,
    className: 'heatmap tile-map',
  });
}
