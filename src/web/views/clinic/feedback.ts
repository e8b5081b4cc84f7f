import { api, ApiError, messageOf } from '../../api.ts';
import { busy, field, h, Message, options, uniqueId } from '../../dom.ts';
import type { AnsweredPrediction, FeedbackVerdict, Prediction } from '../../../contract/index.ts';
import { queueVerdict } from '../../offline/index.ts';
import { isDevicePrediction, keepDeviceVerdict } from '../../on-device/index.ts';

export interface ClassChoice {
  value: string;
  label: string;
}

function verdictText(prediction: Prediction, labelOf: (name: string) => string): string {
  const feedback = prediction.feedback;
  if (!feedback && prediction.uncertain) return 'The model named no class to agree with. When the laboratory reports the organism, record it here.';
  if (!feedback) return 'Does the result match what you see under the microscope?';
  if (feedback.verdict === 'agree') return 'You agreed with this result. You can still change your answer.';
  if (prediction.uncertain) return `You recorded the laboratory’s result: ${labelOf(feedback.label ?? '')}. You can still change it.`;
  return `You corrected this to: ${labelOf(feedback.label ?? '')}. You can still change your answer.`;
}

/**
 * Agree, or correct with the right class; POST /api/predictions/:id/feedback. An "uncertain: refer"
 * result offers no "Agree" (it names no class): only the laboratory's result, any class. On a result
 * read on the device the verdict goes into the outbox after its prediction, on its idempotency key.
 */
export function feedbackPanel(
  prediction: Prediction & AnsweredPrediction,
  choices: readonly ClassChoice[],
  labelOf: (name: string) => string,
  onSaved: (updated: Prediction) => void,
): HTMLElement {
  let current: Prediction = prediction;
  const state = h('p', { class: 'feedback-state' }, verdictText(current, labelOf));
  const message = new Message();
  const select = options(
    h('select', { name: 'label' }),
    prediction.uncertain ? choices : choices.filter((choice) => choice.value !== prediction.top.label),
    current.feedback?.verdict === 'correct' ? (current.feedback.label ?? undefined) : undefined,
  );
  const save = h('button', { type: 'submit', class: 'button button-primary' }, prediction.uncertain ? 'Save the result' : 'Save correction');
  const correction = h('form', { class: 'correction', hidden: true, id: uniqueId('correction') }, field(prediction.uncertain ? 'The laboratory’s result' : 'The right class', select), save);
  const agree = prediction.uncertain ? null : h('button', { type: 'button', class: 'button button-agree' }, 'Agree');
  const correct = h('button', { type: 'button', class: 'button', attrs: { 'aria-expanded': 'false', 'aria-controls': correction.id } }, prediction.uncertain ? 'Enter the lab result…' : 'Correct it…');

  const closeCorrection = () => {
    correction.hidden = true;
    correct.setAttribute('aria-expanded', 'false');
  };
  const recorded = (verdict: FeedbackVerdict, label?: string) =>
    verdict === 'agree' ? 'your agreement' : current.uncertain ? `the laboratory’s result, ${labelOf(label!)},` : `your correction to ${labelOf(label!)}`;
  const saved = (updated: Prediction, text: string) => {
    current = updated;
    state.textContent = verdictText(current, labelOf);
    message.show(text, 'success');
    closeCorrection();
    onSaved(current);
  };

  const send = async (button: HTMLButtonElement, verdict: FeedbackVerdict, label?: string) => {
    message.show('Saving…');
    if (isDevicePrediction(current.id)) return keepWithDeviceResult(button, verdict, label);
    try {
      const updated = await busy(button, () => api.feedback(current.id, verdict, label));
      saved(updated, `Thank you: ${recorded(verdict, label)} is recorded.`);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 0)) return message.show(messageOf(error), 'error');
      await keepOffline(verdict, label);
    }
  };

  /** A result read on the device: its verdict is sent to the audit trail after it (at once when online). */
  const keepWithDeviceResult = async (button: HTMLButtonElement, verdict: FeedbackVerdict, label?: string) => {
    try {
      await busy(button, () => keepDeviceVerdict(current.id, verdict, label));
      const feedback = { verdict, label: label ?? null, user: current.user, createdAt: new Date().toISOString() };
      saved({ ...current, feedback, feedbackHistory: [...current.feedbackHistory, feedback] }, `Thank you: ${recorded(verdict, label)} is kept with the result and sent to the audit trail with it.`);
    } catch (error) {
      message.show(messageOf(error), 'error');
    }
  };

  /** No network: the verdict waits on this device and is sent, once, when the network is back. */
  const keepOffline = async (verdict: FeedbackVerdict, label?: string) => {
    try {
      await queueVerdict({ prediction: { id: current.id }, verdict, ...(label === undefined ? {} : { label }) });
      message.show('No network: your verdict is kept on this device and will be sent when the network is back.', 'warning');
      closeCorrection();
    } catch (error) {
      message.show(`No network, and your verdict could not be kept on this device: ${messageOf(error)}`, 'error');
    }
  };

  agree?.addEventListener('click', () => void send(agree, 'agree'));
  correct.addEventListener('click', () => {
    correction.hidden = !correction.hidden;
    correct.setAttribute('aria-expanded', String(!correction.hidden));
    if (!correction.hidden) select.focus();
  });
  correction.addEventListener('submit', (event) => {
    event.preventDefault();
    void send(save, 'correct', select.value);
  });

  return h(
    'section',
    { class: 'feedback', attrs: { 'aria-label': 'Your verdict' } },
    h('h3', {}, 'Your verdict'),
    state,
    h('div', { class: 'button-row' }, agree, correct),
    correction,
    message.element,
  );
}
