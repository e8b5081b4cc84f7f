import { api, AUDIT_CSV_URL, messageOf } from '../../api.ts';
import { h, Message } from '../../dom.ts';
import { dateTime, percent } from '../../format.ts';
import { dataTable } from '../../table.ts';
import type { FeedbackView, Prediction } from '../../../contract/index.ts';
import type { View } from '../../view.ts';

const RECENT = 20;

function verdictText(feedback: FeedbackView): string {
  return feedback.verdict === 'agree' ? 'agreed' : `corrected: ${feedback.label}`;
}

/** The predicting user's latest verdict, then every other user's (reviews), with who gave them. */
function verdicts(p: Prediction): string {
  const reviews = p.feedbackHistory.filter((entry) => entry.user.id !== p.user.id).map((entry) => `${entry.user.username}: ${verdictText(entry)}`);
  return [p.feedback ? verdictText(p.feedback) : '—', ...reviews].join('; ');
}

/** The prediction audit trail: download as CSV, with the most recent rows shown. */
export function auditPage(): View {
  const message = new Message();
  const table = dataTable(`The ${RECENT} most recent predictions`, ['Time', 'User', 'Specimen', 'Top class', 'Uncertain', 'Verdict']);
  const element = h(
    'section',
    { class: 'admin-page' },
    h('h1', { tabIndex: -1 }, 'Audit log'),
    h('p', {}, 'Every prediction is recorded with its user, image, model, output and every verdict on it (the clinician’s and any reviewer’s, each with its author). The rows cannot be changed or deleted.'),
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
      h('td', {}, p.refusal === null ? `${p.top.label} (${percent(p.top.probability)})` : `refused: ${p.refusal.reason}`),
      h('td', {}, p.uncertain ? 'yes' : 'no'),
      h('td', {}, verdicts(p)),
    );
  api
    .predictions(RECENT)
    .then((predictions) => (predictions.length === 0 ? table.setEmpty('No predictions yet.') : table.setRows(predictions.map(row))))
    .catch((error) => message.show(messageOf(error), 'error'));
  return { element };
}
