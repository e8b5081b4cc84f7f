import { api, messageOf } from '../../api.ts';
import { busy, h, Message } from '../../dom.ts';
import { dateTime, modelTitle } from '../../format.ts';
import { dataTable } from '../../table.ts';
import type { Model } from '../../../contract/index.ts';
import type { View } from '../../view.ts';
import { testFigures } from './test-figures.ts';

/** Registered model bundles with their test figures and reports; one is active and serves predictions. */
export function modelsPage(): View {
  const message = new Message();
  const table = dataTable('Model bundles known to the server. Activating one switches predictions to it at once.', ['Model', 'Registered', 'Test figures', 'Status']);
  let models: Model[] = [];

  const row = (model: Model) => {
    const activate = h('button', { type: 'button', class: 'button button-small' }, 'Activate');
    activate.addEventListener('click', () =>
      void busy(activate, () => api.activateModel(model.id))
        .then((active) => {
          models = models.map((m) => ({ ...m, active: m.id === active.id }));
          render();
          message.show(`${modelTitle(active)} is now the active model.`, 'success');
        })
        .catch((error) => message.show(messageOf(error), 'error')),
    );
    return h(
      'tr',
      { class: model.active ? 'row-active' : '', attrs: { 'data-model-id': model.id } },
      h(
        'th',
        { scope: 'row' },
        h(
          'div',
          {},
          h('span', { class: 'model-title' }, modelTitle(model)),
          model.reportUrl ? h('a', { class: 'model-report', href: model.reportUrl, target: '_blank', rel: 'noopener' }, 'Evaluation report') : h('span', { class: 'hint model-report-missing' }, 'No evaluation report'),
          model.path ? h('span', { class: 'model-path' }, model.path) : null,
        ),
      ),
      h('td', {}, dateTime(model.createdAt)),
      h('td', {}, testFigures(model.metrics)),
      h('td', {}, model.active ? h('span', { class: 'tag tag-success' }, 'Active') : activate),
    );
  };

  const render = () => {
    if (models.length === 0) table.setEmpty('No models yet: a finished training run registers one.');
    else table.setRows(models.map(row));
  };

  const element = h('section', { class: 'admin-page' }, h('h1', { tabIndex: -1 }, 'Models'), message.element, table.element);

  api
    .models()
    .then((list) => {
      models = list;
      render();
    })
    .catch((error) => message.show(messageOf(error), 'error'));
  return { element };
}
