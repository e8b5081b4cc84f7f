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
    if (!this.queue.runs('training')) throw new HttpError(503, 'no trainer is configured on this server');
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

  /** Cancels a run (of any kind: the routes check theirs) wherever it runs. */
  async cancel(run: RunRecord): Promise<RunRecord> {
    if (isFinished(run.status)) throw new HttpError(409, `the run has already ended (${run.status})`);
    await this.store.runs.cancel(run.id);
    await this.queue.cancel({ kind: run.kind, runId: run.id });
    await this.queue.announce(run.id);
    return this.store.runs.require(run.id);
  }

  subscribe(runId: number, listener: RunListener): () => void {
    return this.queue.subscribe(runId, listener);
  }
}

function trainingJob(runId: number): QueuedJob {
  return { kind: 'training', runId };
}
