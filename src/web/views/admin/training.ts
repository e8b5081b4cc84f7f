import { api, messageOf, runEventsUrl } from '../../api.ts';
import { busy, h, Message, replace } from '../../dom.ts';
import { dateTime, modelTitle } from '../../format.ts';
import type { Model, Project, TrainingRun } from '../../../contract/index.ts';
import type { View } from '../../view.ts';
import { projectSelect } from './project-select.ts';
import { progressFraction, progressLine, progressValues } from './run-progress.ts';
import { isFinished, RunWatcher } from './run-watcher.ts';
import { testFigures } from './test-figures.ts';

/** Launch training on a project, follow it live, cancel it. */
export function trainingPage(): View {
  const message = new Message();
  const live = h('p', { class: 'visually-hidden', attrs: { role: 'status', 'aria-live': 'polite' } });
  const list = h('ol', { class: 'runs' });
  const picker = h('div', { class: 'picker' });
  const launch = h('button', { type: 'submit', class: 'button button-primary' }, 'Start training');
  let projects: Project[] = [];
  let chosen: Project | null = null;
  let runs: TrainingRun[] = [];
  let models = new Map<number, Model>();

  const projectName = (id: number) => projects.find((p) => p.id === id)?.name ?? `project ${id}`;

  const card = (run: TrainingRun) => {
    const fraction = progressFraction(run.progress);
    const cancel = h('button', { type: 'button', class: 'button button-small button-danger' }, 'Cancel');
    cancel.addEventListener('click', () =>
      void busy(cancel, () => api.cancelRun(run.id))
        .then(update)
        .catch((error) => message.show(messageOf(error), 'error')),
    );
    const times = [`queued ${dateTime(run.createdAt)}`, run.startedAt ? `started ${dateTime(run.startedAt)}` : null, run.finishedAt ? `ended ${dateTime(run.finishedAt)}` : null];
    return h(
      'li',
      { class: `card run run-${run.status}`, attrs: { 'data-run-id': run.id, 'data-status': run.status } },
      h('div', { class: 'run-head' }, h('h3', {}, `Run ${run.id} · ${projectName(run.projectId)}`), h('span', { class: `tag status status-${run.status}` }, run.status)),
      isFinished(run) ? outcome(run) : progressOf(run, fraction),
      h('p', { class: 'meta' }, times.filter(Boolean).join(' · ')),
      isFinished(run) ? null : cancel,
    );
  };

  /** A run in progress: its bar, where it is and its latest measured values. */
  const progressOf = (run: TrainingRun, fraction: number | null): HTMLElement[] => {
    const values = progressValues(run.progress);
    return [
      h('progress', { max: 1, value: fraction ?? undefined, attrs: { 'aria-label': `Progress of run ${run.id}` } }),
      h('p', { class: 'run-line' }, progressLine(run.progress)),
      ...(values.length > 0 ? [h('dl', { class: 'metrics' }, values.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))] : []),
    ];
  };

  /** A finished run: how it ended and, once completed, the registered model with its test figures (or why there are none). */
  const outcome = (run: TrainingRun): HTMLElement[] => {
    if (run.status === 'failed') return [h('p', { class: 'message message-error run-line' }, `Failed: ${run.error ?? 'no reason given'}`)];
    if (run.status === 'cancelled') return [h('p', { class: 'run-line' }, 'Cancelled: no model was registered.')];
    const model = run.modelId === null ? undefined : models.get(run.modelId);
    const seconds = run.startedAt && run.finishedAt ? Math.max(0, Math.round((Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000)) : null;
    return [
      h('p', { class: 'run-line' }, `Completed${seconds === null ? '' : ` in ${seconds} s`}.`, model ? ` Registered as ${modelTitle(model)}.` : ''),
      ...(model ? [testFigures(model.metrics)] : []),
      ...(run.modelId !== null ? [h('p', {}, h('a', { href: '#/admin/models' }, 'Activate it under Models'), '.')] : []),
    ];
  };

  /** The models the completed runs registered, for their names and figures. */
  const refreshModels = () =>
    api
      .models()
      .then((list) => {
        models = new Map(list.map((model) => [model.id, model]));
        render();
      })
      .catch((error) => message.show(messageOf(error), 'error'));

  const render = () =>
    replace(
      list,
      runs.length === 0 ? h('li', { class: 'hint' }, 'No training runs yet.') : runs.map(card),
    );

  function update(run: TrainingRun): void {
    const before = runs.find((r) => r.id === run.id);
    if (before && before.status !== run.status) live.textContent = `Run ${run.id} is ${run.status}.`;
    runs = before ? runs.map((r) => (r.id === run.id ? run : r)) : [run, ...runs];
    render();
    if (run.modelId !== null && !models.has(run.modelId)) void refreshModels();
  }

  const watcher = new RunWatcher<TrainingRun>({ eventsUrl: runEventsUrl, read: api.run }, update);

  const form = h(
    'form',
    {
      class: 'card',
      noValidate: true,
      attrs: { 'aria-labelledby': 'launch-title' },
      on: {
        submit: (event) => {
          event.preventDefault();
          if (!chosen) return message.show('Create a project first.', 'error');
          const project = chosen;
          void busy(launch, () => api.launchRun(project.id))
            .then((run) => {
              update(run);
              watcher.watch(run.id);
              message.show(`Training on “${project.name}” is queued as run ${run.id}.`, 'success');
            })
            .catch((error) => message.show(messageOf(error), 'error'));
        },
      },
    },
    h('h2', { id: 'launch-title' }, 'Train a model'),
    h('p', { class: 'hint' }, 'Trains on the project’s decided labels (unanimous, majority or adjudicated). Runs go one at a time; the finished model is registered but not activated.'),
    picker,
    launch,
  );

  const element = h('section', { class: 'admin-page' }, h('h1', { tabIndex: -1 }, 'Training'), message.element, live, form, h('h2', {}, 'Runs'), list);

  Promise.all([api.projects(), api.runs()])
    .then(([projectList, runList]) => {
      projects = projectList;
      runs = runList;
      replace(picker, projectSelect(projects, (project) => (chosen = project)));
      render();
      if (runs.some((run) => run.modelId !== null)) void refreshModels();
      for (const run of runs) if (!isFinished(run)) watcher.watch(run.id);
    })
    .catch((error) => message.show(messageOf(error), 'error'));

  return { element, dispose: () => watcher.close() };
}
