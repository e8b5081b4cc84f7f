import { api, jobEventsUrl, messageOf } from '../../api.ts';
import { busy, field, h, Message, options, replace } from '../../dom.ts';
import { modelTitle } from '../../format.ts';
import type { BatchJob, ExplainMethod, Model, Project } from '../../../contract/index.ts';
import type { View } from '../../view.ts';
import { jobCard, METHOD_NAMES } from './job-card.ts';
import { projectSelect } from './project-select.ts';
import { isFinished, RunWatcher } from './run-watcher.ts';

/** A launch form: a title, a hint, its controls and the submit button. */
function launchForm(title: string, hint: string, controls: HTMLElement[], button: HTMLButtonElement, onSubmit: () => void): HTMLFormElement {
  const titleId = `launch-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return h(
    'form',
    {
      class: 'card',
      noValidate: true,
      attrs: { 'aria-labelledby': titleId },
      on: {
        submit: (event) => {
          event.preventDefault();
          onSubmit();
        },
      },
    },
    h('h2', { id: titleId }, title),
    h('p', { class: 'hint' }, hint),
    controls,
    button,
  );
}

/** Score a project's images or re-explain them with the active model, follow the jobs live, cancel them, download the scores. */
export function jobsPage(): View {
  const message = new Message();
  const live = h('p', { class: 'visually-hidden', attrs: { role: 'status', 'aria-live': 'polite' } });
  const list = h('ol', { class: 'runs jobs' });
  const scoringPicker = h('div', { class: 'picker' });
  const explainingPicker = h('div', { class: 'picker' });
  const scoreButton = h('button', { type: 'submit', class: 'button button-primary' }, 'Start scoring');
  const explainButton = h('button', { type: 'submit', class: 'button button-primary' }, 'Start re-explanation');
  const methods = options(
    h('select', { name: 'method' }),
    (Object.keys(METHOD_NAMES) as ExplainMethod[]).map((method) => ({ value: method, label: METHOD_NAMES[method] })),
  );
  let projects: Project[] = [];
  let models = new Map<number, Model>();
  let jobs: BatchJob[] = [];
  let toScore: Project | null = null;
  let toExplain: Project | null = null;

  const context = {
    projectName: (id: number) => projects.find((p) => p.id === id)?.name ?? `project ${id}`,
    modelName: (id: number) => {
      const model = models.get(id);
      return model ? modelTitle(model) : `${id}`;
    },
    onCancel: (job: BatchJob, button: HTMLButtonElement) =>
      void busy(button, () => api.cancelJob(job.id))
        .then(update)
        .catch((error) => message.show(messageOf(error), 'error')),
  };

  const render = () => replace(list, jobs.length === 0 ? h('li', { class: 'hint' }, 'No jobs yet.') : jobs.map((job) => jobCard(job, context)));

  function update(job: BatchJob): void {
    const before = jobs.find((j) => j.id === job.id);
    if (before && before.status !== job.status) live.textContent = `Job ${job.id} is ${job.status}.`;
    jobs = before ? jobs.map((j) => (j.id === job.id ? job : j)) : [job, ...jobs];
    render();
  }

  const watcher = new RunWatcher<BatchJob>({ eventsUrl: jobEventsUrl, read: api.job }, update);

  const launch = (button: HTMLButtonElement, project: Project | null, start: (project: Project) => Promise<BatchJob>, what: string) => {
    if (!project) return message.show('Create a project first.', 'error');
    void busy(button, () => start(project))
      .then((job) => {
        update(job);
        watcher.watch(job.id);
        message.show(`${what} of “${project.name}” is queued as job ${job.id}.`, 'success');
      })
      .catch((error) => message.show(messageOf(error), 'error'));
  };

  const scoringForm = launchForm(
    'Score a project',
    'The active model reads every image of the project as the clinic’s Classify screen would; the results are kept with the job, not in the audit log.',
    [scoringPicker],
    scoreButton,
    () => launch(scoreButton, toScore, (project) => api.launchScoring(project.id), 'Scoring'),
  );
  const explainingForm = launchForm(
    'Re-explain a project',
    'The active model’s heatmap of every image of the project, with the method chosen; the heatmaps clinicians were shown stay as they were.',
    [explainingPicker, field('Heatmap method', methods)],
    explainButton,
    () => launch(explainButton, toExplain, (project) => api.launchExplaining(project.id, methods.value as ExplainMethod), 'Re-explanation'),
  );

  const element = h('section', { class: 'admin-page' }, h('h1', { tabIndex: -1 }, 'Jobs'), message.element, live, scoringForm, explainingForm, h('h2', {}, 'All jobs'), list);

  Promise.all([api.projects(), api.models(), api.jobs()])
    .then(([projectList, modelList, jobList]) => {
      projects = projectList;
      models = new Map(modelList.map((model) => [model.id, model]));
      jobs = jobList;
      replace(scoringPicker, projectSelect(projects, (project) => (toScore = project), 'Project to score'));
      replace(explainingPicker, projectSelect(projects, (project) => (toExplain = project), 'Project to re-explain'));
      render();
      for (const job of jobs) if (!isFinished(job)) watcher.watch(job.id);
    })
    .catch((error) => message.show(messageOf(error), 'error'));

  return { element, dispose: () => watcher.close() };
}
