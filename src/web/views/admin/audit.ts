import { api, AUDIT_CSV_URL, messageOf } from '../../api.ts';
import { h, Message } from '../../dom.ts';
import { dateTime, percent } from '../../format.ts';
import { dataTable } from '../../table.ts';
import type { Prediction } from '../../../contract/index.ts';
import type { View } from '../../view.ts';

const RECENT = 20;

/** The prediction audit trail: download as CSV, with the most recent rows shown. */
export function auditPage(): View {
  const message = new Message();
  const table = dataTable(`The ${RECENT} most recent predictions`, ['Time', 'User', 'Specimen', 'Top class', 'Uncertain', 'Verdict']);
  const element = h(
    'section',
    { class: 'admin-page' },
    h('h1', { tabIndex: -1 }, 'Audit log'),
    h('p', {}, 'Every prediction is recorded with its user, image, model, output and the clinician’s verdict. The rows cannot be changed or deleted.'),
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
      h('td', {}, p.feedback ? (p.feedback.verdict === 'agree' ? 'agreed' : `corrected: ${p.feedback.label}`) : '—'),
    );
  api
    .predictions(RECENT)
    .then((predictions) => (predictions.length === 0 ? table.setEmpty('No predictions yet.') : table.setRows(predictions.map(row))))
    .catch((error) => message.show(messageOf(error), 'error'));
  return { element };
}
