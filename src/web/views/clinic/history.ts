import { h, replace } from '../../dom.ts';
import { dateTime, percent } from '../../format.ts';
import type { Prediction } from '../../../contract/index.ts';
import { classLabeller } from './result.ts';

/** What a history entry says first: the field's label, the top class, or that the image could not be read. */
function headline(prediction: Prediction, labelOf: (name: string) => string): string {
  if (prediction.refusal !== null) return 'No prediction: not something the model can read';
  if (prediction.field) return `Whole field: ${labelOf(prediction.field.label)}`;
  return `${labelOf(prediction.top.label)} · ${percent(prediction.top.probability)}`;
}

/** The user's recent predictions, newest first; choosing one shows it again. */
export class History {
  readonly element: HTMLElement;
  private readonly list = h('ol', { class: 'history-list' });
  private readonly empty = h('p', { class: 'hint' }, 'Your predictions will be listed here.');
  private items: Prediction[] = [];

  constructor(
    private readonly onOpen: (prediction: Prediction) => void,
    private readonly showUser: boolean,
  ) {
    this.element = h('section', { class: 'history', attrs: { 'aria-labelledby': 'history-title' } }, h('h2', { id: 'history-title' }, 'Recent predictions'), this.empty, this.list);
  }

  set(predictions: Prediction[]): void {
    this.items = predictions;
    this.render();
  }

  /** Adds a new prediction or replaces one that changed (e.g. after feedback). */
  put(prediction: Prediction): void {
    const at = this.items.findIndex((p) => p.id === prediction.id);
    if (at >= 0) this.items[at] = prediction;
    else this.items.unshift(prediction);
    this.render();
  }

  private render(): void {
    this.empty.hidden = this.items.length > 0;
    replace(this.list, this.items.map((p) => this.item(p)));
  }

  private item(prediction: Prediction): HTMLLIElement {
    const labelOf = classLabeller(prediction);
    const feedback = prediction.feedback
      ? prediction.feedback.verdict === 'agree'
        ? 'you agreed'
        : `${prediction.uncertain ? 'lab result:' : 'corrected to'} ${labelOf(prediction.feedback.label ?? '')}`
      : 'no verdict yet';
    const details = [prediction.specimenType, prediction.caseId ? `case ${prediction.caseId}` : null, dateTime(prediction.createdAt), this.showUser ? prediction.user.username : null]
      .filter((part): part is string => part !== null)
      .join(' · ');
    return h(
      'li',
      {},
      h(
        'button',
        { type: 'button', class: 'history-item', on: { click: () => this.onOpen(prediction) } },
        h('img', { src: prediction.image.url, alt: '', loading: 'lazy', decoding: 'async', width: 56, height: 56 }),
        h(
          'span',
          { class: 'history-text' },
          h('span', { class: 'history-top' }, headline(prediction, labelOf)),
          prediction.refusal ? h('span', { class: 'tag tag-refused' }, 'not readable') : null,
          prediction.field?.forced ? h('span', { class: 'tag tag-warning' }, 'failed quality check') : null,
          prediction.uncertain ? h('span', { class: 'tag tag-warning' }, 'uncertain') : null,
          h('span', { class: 'history-meta' }, details),
          prediction.refusal ? null : h('span', { class: 'history-meta' }, feedback),
        ),
      ),
    );
  }
}
