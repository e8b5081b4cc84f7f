import { h } from '../../dom.ts';
import { dateTime, modelTitle, percent } from '../../format.ts';
import { displayNames, leafNames, parseTree } from '../../label-tree.ts';
import type { AnsweredPrediction, Prediction, RefusedPrediction } from '../../../contract/index.ts';
import { isDevicePrediction } from '../../on-device/ids.ts';
import { QUEUED_NOTE } from './device-note.ts';
import { feedbackPanel } from './feedback.ts';
import { fieldFacts, fieldQuality, tileMapViewer } from './field.ts';
import { heatmapViewer } from './heatmap.ts';
import { probabilityBars } from './probabilities.ts';

export const UNCERTAIN_TEXT = 'Uncertain — refer to microbiology';
export const REFUSAL_TEXT = 'This is not something I can read';

/** Display names from the prediction's label tree, falling back to the class name. */
export function classLabeller(prediction: Prediction): (name: string) => string {
  const names = displayNames(parseTree(prediction.tree));
  return (name) => names.get(name) ?? name;
}

/** One sentence for the live region. */
export function predictionSummary(prediction: Prediction): string {
  if (prediction.refusal !== null) return `${REFUSAL_TEXT}: ${prediction.refusal.reason}. No prediction was made.`;
  const labelOf = classLabeller(prediction);
  const top = prediction.field
    ? `Whole field: ${labelOf(prediction.field.label)}${prediction.field.forced ? ', predicted despite a failed photo quality check' : ''}.`
    : `Most likely ${labelOf(prediction.top.label)}, ${percent(prediction.top.probability)}.`;
  return prediction.uncertain ? `${UNCERTAIN_TEXT}. ${top}` : `Result: ${top}`;
}

/**
 * Everything about one prediction: referral banner, top class, heatmap, probability bars, verdict;
 * for a whole field, its quality verdict first, then its label, morphotypes and tile map. A refusal
 * shows why and the photo, no class and no probability.
 */
export function predictionResult(prediction: Prediction, onUpdated: (updated: Prediction) => void): HTMLElement {
  return prediction.refusal === null ? answeredResult(prediction, onUpdated) : refusedResult(prediction);
}

function metaLine(prediction: Prediction): string {
  const where = isDevicePrediction(prediction.id) ? QUEUED_NOTE : null;
  return [prediction.specimenType, prediction.caseId ? `case ${prediction.caseId}` : null, dateTime(prediction.createdAt), `model ${prediction.model ? modelTitle(prediction.model) : prediction.modelVersion}`, where]
    .filter((part): part is string => part !== null)
    .join(' · ');
}

function refusedResult(prediction: Prediction & RefusedPrediction): HTMLElement {
  const reason = prediction.refusal.reason;
  return h(
    'article',
    { class: 'prediction prediction-refused', attrs: { 'data-prediction-id': prediction.id, 'data-refusal': prediction.refusal.code } },
    h('h2', { tabIndex: -1 }, 'Result'),
    h(
      'div',
      { class: 'banner banner-refused', attrs: { role: 'alert' } },
      h('strong', {}, REFUSAL_TEXT),
      h('span', { class: 'refusal-reason' }, `${reason.charAt(0).toUpperCase()}${reason.slice(1)}.`),
    ),
    h(
      'p',
      {},
      'No prediction was made. Photograph a Gram-stained slide through the microscope (100× oil objective), with the specimen in focus, and try again; or send the specimen for a microbiologist’s reading.',
    ),
    h('p', { class: 'meta' }, metaLine(prediction)),
    h('figure', { class: 'heatmap' }, h('div', { class: 'stack' }, h('img', { class: 'photo', src: prediction.image.url, alt: 'The photo that could not be read', decoding: 'async' }))),
  );
}

function answeredResult(prediction: Prediction & AnsweredPrediction, onUpdated: (updated: Prediction) => void): HTMLElement {
  const labelOf = classLabeller(prediction);
  const tree = parseTree(prediction.tree);
  const classOrder = tree ? leafNames(tree) : prediction.classes.map((c) => c.label);
  for (const c of prediction.classes) if (!classOrder.includes(c.label)) classOrder.push(c.label);
  const choices = classOrder.map((name) => ({ value: name, label: labelOf(name) }));

  const field = prediction.field;

  return h(
    'article',
    { class: `prediction${prediction.uncertain ? ' prediction-uncertain' : ''}`, attrs: { 'data-prediction-id': prediction.id } },
    h('h2', { tabIndex: -1 }, 'Result'),
    prediction.uncertain
      ? h(
          'div',
          { class: 'banner banner-warning', attrs: { role: 'alert' } },
          h('strong', {}, UNCERTAIN_TEXT),
          h('span', {}, 'The model is not confident about this image. Send the specimen for a microbiologist’s reading; do not act on the classes below.'),
        )
      : null,
    field ? fieldQuality(field) : null,
    field
      ? h('p', { class: 'top-class' }, h('span', { class: 'top-label' }, 'Whole field'), h('strong', {}, labelOf(field.label)))
      : h('p', { class: 'top-class' }, h('span', { class: 'top-label' }, 'Most likely'), h('strong', {}, labelOf(prediction.top.label)), h('span', { class: 'top-value' }, percent(prediction.top.probability))),
    field ? fieldFacts(field, labelOf) : null,
    h('p', { class: 'meta' }, metaLine(prediction)),
    h(
      'div',
      { class: 'prediction-body' },
      field ? h('div', { class: 'field-figures' }, tileMapViewer(prediction.image.url, field, labelOf), heatmapViewer(prediction.image.url, prediction.heatmapUrl)) : heatmapViewer(prediction.image.url, prediction.heatmapUrl),
      probabilityBars(prediction.classes, prediction.tree, prediction.top.label),
    ),
    feedbackPanel(prediction, choices, labelOf, onUpdated),
  );
}
