import type { JobKind } from '../contract/index.ts';
import { JOB_KINDS, type RunRecord } from '../store/index.ts';
import { runExplainingJob } from './explaining-job.ts';
import { runScoringJob } from './scoring-job.ts';
import { runTrainingJob } from './training-job.ts';
import type { JobContext, JobMeans, JobOutcome } from './types.ts';

/** The kinds of job these means can run: training with a trainer, scoring and re-explanation with job models. */
export function kindsRunBy(means: JobMeans): JobKind[] {
  return JOB_KINDS.filter((kind) => (kind === 'training' ? means.trainer !== undefined : means.models !== undefined));
}

/** Runs a job that `context.runner` has marked running, by its kind; a kind these means cannot run fails it. */
export async function runJob(context: JobContext, run: RunRecord, controller: AbortController, isStopping: () => boolean): Promise<JobOutcome> {
  const { trainer, models } = context;
  if (run.kind === 'training' && trainer) return runTrainingJob(context, trainer, run.id, run.projectId!, controller, isStopping);
  if (run.kind === 'scoring' && models) return runScoringJob(context, models, run, controller, isStopping);
  if (run.kind === 'explaining' && models) return runExplainingJob(context, models, run, controller, isStopping);
  await context.store.runs.fail(run.id, `${context.runner} cannot run ${run.kind} jobs`, context.runner);
  await context.announce(run.id);
  return 'ended';
}
