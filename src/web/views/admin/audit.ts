import { api, AUDIT_CSV_URL, messageOf } from '../../api.ts';
import { h, Message } from '../../dom.ts';
import { dateTime, percent } from '../../format.ts';
import { dataTable } from '../../table.ts';
import type { FeedbackView, Prediction } from '../../../contract/index.ts';
import type { View } from '../../view.ts';
import { classLabeller } from '../clinic/result.ts';

const RECENT = 20;

/** The predicting user's latest verdict, then every other user's (reviews), with who gave them; classes by their display names. */
function verdicts(p: Prediction): string {
  const labelOf = classLabeller(p);
  // An uncertain result named no class: its "correction" is the laboratory's result.
  const verdictText = (feedback: FeedbackView) => (feedback.verdict === 'agree' ? 'agreed' : `${p.uncertain ? 'lab result' : 'corrected'}: ${labelOf(feedback.label ?? '')}`);
  const reviews = p.feedbackHistory.filter((entry) => entry.user.id !== p.user.id).map((entry) => `${entry.user.username}: ${verdictText(entry)}`);
  return [p.feedback ? verdictText(p.feedback) : '—', ...reviews].join('; ');
}

/**
 * What the model answered: a class with its probability, or a whole field's answer with its own
 * evidence (a field with several morphotypes has no probability of its own; the mixed class's
 * tile-averaged probability would mislead).
 */
function answerText(p: Prediction): string {
  if (p.refusal !== null) return `refused: ${p.refusal.reason}`;
  const labelOf = classLabeller(p);
  if (!p.field) return `${labelOf(p.top.label)} (${percent(p.top.probability)})`;
  const label = `Whole field: ${labelOf(p.field.label)}`;
  if (!p.field.multiple) return `${label} (${percent(p.top.probability)})`;
  return `${label} (${p.field.morphotypes.map((m) => labelOf(m.label)).join(' + ')})`;
}

/** Where the answer was made: on the server, or on a device (offline) with the device's time beside the arrival time. */
function madeWhere(p: Prediction): string {
  return p.onDevice ? `on device ${p.onDevice.device}, made ${dateTime(p.onDevice.madeAt)}` : 'server';
}

/** The prediction audit trail: download as CSV, with the most recent rows shown. */
export function auditPage(): View {
  const message = new Message();
  const table = dataTable(`The ${RECENT} most recent predictions`, ['Time', 'User', 'Specimen', 'Answer', 'Uncertain', 'Verdict', 'Made']);
  const element = h(
    'section',
    { class: 'admin-page' },
    h('h1', { tabIndex: -1 }, 'Audit log'),
    h('p', {}, 'Every prediction is recorded with its user, image, model, output and every verdict on it (the clinician’s and any reviewer’s, each with its author). A prediction made on a phone without a network is recorded when it is synced: Time is when it arrived, Made says on which device and when it was made. The rows cannot be changed or deleted.'),
    h('p', {}, h('a', { class: 'button button-primary', href: AUDIT_CSV_URL, download: 'gramlens-audit.csv' }, 'Download audit log (CSV)')),
    message.element,
    table.element,
  );
  const row = (p: Prediction) =>
    h(
      'tr',
      {},
      h('td', {}, dateTime(p.createdAt)),
      h('td', {}, p.user.username),
      h('td', {}, p.specimenType),
      h('td', {}, answerText(p)),
      h('td', {}, p.uncertain ? 'yes' : 'no'),
      h('td', {}, verdicts(p)),
      h('td', {}, madeWhere(p)),
    );
  api
    .predictions(RECENT)
    .then((predictions) => (predictions.length === 0 ? table.setEmpty('No predictions yet.') : table.setRows(predictions.map(row))))
    .catch((error) => message.show(messageOf(error), 'error'));
  return { element };
}
