import type { QueuedJob } from '../contract/index.ts';
import { isFinished, type RunRecord, type Store } from '../store/index.ts';
import type { JobQueue, RunListener } from '../jobs/index.ts';
import { HttpError } from './errors.ts';

/**
 * The training runs as the API sees them: launched into the job queue (local or Redis), cancelled
 * wherever they run, and followed by the SSE streams whichever process trains them.
 */
export class TrainingRuns {
  constructor(
    private readonly store: Store,
    private readonly queue: JobQueue,
  ) {}

  async launch(projectId: number, userId: number): Promise<RunRecord> {
    if (!this.queue.runsJobs) throw new HttpError(503, 'no trainer is configured on this server');
    const { included, perLabel } = await this.store.decisions.manifest(projectId);
    if (included === 0) throw new HttpError(409, 'the project has no decided labels to train on yet');
    if (perLabel.size < 2) {
      const [[label, count]] = perLabel;
      throw new HttpError(409, `every decided image (${count}) is labelled ${label}: a classifier needs decided images of at least two classes`);
    }
    const run = await this.store.runs.create(projectId, userId);
    await this.queue.submit(trainingJob(run.id));
    return this.store.runs.require(run.id);
  }

  async cancel(runId: number): Promise<RunRecord> {
    const run = await this.store.runs.require(runId);
    if (isFinished(run.status)) throw new HttpError(409, `the run has already ended (${run.status})`);
    await this.store.runs.cancel(runId);
    await this.queue.cancel(trainingJob(runId));
    await this.queue.announce(runId);
    return this.store.runs.require(runId);
  }

  subscribe(runId: number, listener: RunListener): () => void {
    return this.queue.subscribe(runId, listener);
  }
}

function trainingJob(runId: number): QueuedJob {
  return { kind: 'training', runId };
}
