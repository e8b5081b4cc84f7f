import { api, jobEventsUrl, messageOf } from '../../api.ts';
import { busy, field, h, Message, options, replace } from '../../dom.ts';
import { modelTitle } from '../../format.ts';
import type { BatchJob, ExplainMethod, Model, Project } from '../../../contract/index.ts';
import type { View } from '../../view.ts';
import { jobCard, METHOD_NAMES } from './job-card.ts';
import { projectSelect } from './project-select.ts';
import { isFinished, RunWatcher } from './run-watcher.ts';

/**
 * Event streams the page keeps open at most: a browser allows 6 connections per origin over
 * HTTP/1.1, and the page's other requests need theirs. Jobs run one at a time, so the running job
 * and the next queued one are followed, the others when their turn comes.
 */
const MAX_FOLLOWED = 2;

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
    if (isFinished(job)) followNext();
  }

  const watcher = new RunWatcher<BatchJob>({ eventsUrl: jobEventsUrl, read: api.job }, update);
  const followed = new Set<number>();
  function followNext(): void {
    for (const id of followed) if (jobs.some((job) => job.id === id && isFinished(job))) followed.delete(id);
    const running = (job: BatchJob) => (job.status === 'running' ? 0 : 1);
    const next = jobs.filter((job) => !isFinished(job) && !followed.has(job.id)).sort((a, b) => running(a) - running(b) || a.id - b.id);
    for (const job of next.slice(0, Math.max(0, MAX_FOLLOWED - followed.size))) {
      followed.add(job.id);
      watcher.watch(job.id);
    }
  }

  const launch = (button: HTMLButtonElement, project: Project | null, start: (project: Project) => Promise<BatchJob>, what: string) => {
    if (!project) return message.show('Create a project first.', 'error');
    void busy(button, () => start(project))
      .then((job) => {
        update(job);
        followNext();
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
      followNext();
    })
    .catch((error) => message.show(messageOf(error), 'error'));

  return { element, dispose: () => watcher.close() };
}
