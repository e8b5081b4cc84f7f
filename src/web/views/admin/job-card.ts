import { jobScoresCsvUrl } from '../../api.ts';
import { h } from '../../dom.ts';
import { dateTime } from '../../format.ts';
import type { BatchJob, ExplainingParams, ExplainingSummary, ExplainMethod, ScoringSummary } from '../../../contract/index.ts';
import { progressFraction, progressLine } from './run-progress.ts';
import { isFinished } from './run-watcher.ts';

export const METHOD_NAMES: Record<ExplainMethod, string> = { gradcam: 'Grad-CAM', 'gradcam++': 'Grad-CAM++', hirescam: 'HiRes-CAM' };

const KIND_NAMES: Record<BatchJob['kind'], string> = { scoring: 'Scoring', explaining: 'Re-explanation' };

export interface JobCardContext {
  projectName(id: number): string;
  modelName(id: number): string;
  onCancel(job: BatchJob, button: HTMLButtonElement): void;
}

/** What the job works on: a project's images, or stored predictions. */
function subjectOf(job: BatchJob, context: JobCardContext): string {
  if (job.kind === 'scoring' && 'projectId' in job.params) return context.projectName(job.params.projectId);
  const { source } = job.params as ExplainingParams;
  return 'projectId' in source ? context.projectName(source.projectId) : `${source.predictionIds.length} predictions`;
}

/** The summary's counts as label–value pairs; a scoring job's confident answers per class as "label, confident". */
function summaryEntries(job: BatchJob): [string, string][] {
  if (job.kind === 'scoring') {
    const s = job.summary as ScoringSummary;
    const perClass = Object.entries(s.perClass).map(([label, count]): [string, string] => [`${label}, confident`, String(count)]);
    return [['scored', String(s.scored)], ...perClass, ['uncertain', String(s.uncertain)], ['refused', String(s.refused)], ['unread', String(s.unread)], ['failed', String(s.failed)]];
  }
  const s = job.summary as ExplainingSummary;
  return [
    ['explained', String(s.explained)],
    ['refused', String(s.refused)],
    ['failed', String(s.failed)],
  ];
}

/** One job: what it runs on, its status, progress "n of N", summary so far, Cancel while it runs, the CSV of a scoring job's results. */
export function jobCard(job: BatchJob, context: JobCardContext): HTMLLIElement {
  const finished = isFinished(job);
  const method = job.kind === 'explaining' ? ` · ${METHOD_NAMES[(job.params as ExplainingParams).method]}` : '';
  const times = [`queued ${dateTime(job.createdAt)}`, job.startedAt ? `started ${dateTime(job.startedAt)}` : null, job.finishedAt ? `ended ${dateTime(job.finishedAt)}` : null];
  const cancel = h('button', { type: 'button', class: 'button button-small button-danger' }, 'Cancel');
  cancel.addEventListener('click', () => context.onCancel(job, cancel));
  const fraction = progressFraction(job.progress);
  return h(
    'li',
    { class: `card run job run-${job.status}`, attrs: { 'data-job-id': job.id, 'data-status': job.status } },
    h('div', { class: 'run-head' }, h('h3', {}, `${KIND_NAMES[job.kind]} ${job.id} · ${subjectOf(job, context)}`), h('span', { class: `tag status status-${job.status}` }, job.status)),
    h('p', { class: 'meta' }, `Model ${context.modelName(job.params.modelId)}${method}`),
    finished ? null : h('progress', { max: 1, value: fraction ?? undefined, attrs: { 'aria-label': `Progress of job ${job.id}` } }),
    h('p', { class: 'run-line' }, job.progress ? progressLine(job.progress) : finished ? 'nothing done' : 'waiting for the first report'),
    job.status === 'failed' ? h('p', { class: 'message message-error' }, `Failed: ${job.error ?? 'no reason given'}`) : null,
    h('dl', { class: 'metrics job-summary' }, summaryEntries(job).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    h('p', { class: 'meta' }, times.filter(Boolean).join(' · ')),
    h(
      'div',
      { class: 'button-row' },
      job.kind === 'scoring' ? h('a', { class: 'button button-small', href: jobScoresCsvUrl(job.id), download: `gramlens-scores-job-${job.id}.csv` }, 'Download scores (CSV)') : null,
      finished ? null : cancel,
    ),
  );
}
