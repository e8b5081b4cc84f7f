import type { BatchJob, ExplainingParams, ExplainMethod, ScoringParams } from '../contract/index.ts';
import type { JobQueue } from '../jobs/index.ts';
import type { RunRecord, Store } from '../store/index.ts';
import { HttpError } from './errors.ts';
import { iso } from './schemas.ts';

/** Prediction ids one re-explanation job may name. */
export const MAX_PREDICTIONS_PER_JOB = 1000;

export interface ExplainingRequest {
  projectId?: number;
  predictionIds?: string[];
  modelId?: number;
  method?: ExplainMethod;
}

/**
 * Scoring and re-explanation jobs as the API sees them: each a row in the runs table (its kind,
 * parameters and the model it runs with, fixed at launch), launched into the same job queue as
 * training; their results are read from their own tables.
 */
export class BatchJobs {
  private readonly views = new WeakMap<RunRecord, Promise<BatchJob>>();

  constructor(
    private readonly store: Store,
    private readonly queue: JobQueue,
  ) {}

  /** Every image of the project, scored by the model active now (which the job keeps if another is activated meanwhile). */
  async launchScoring(projectId: number, userId: number): Promise<RunRecord> {
    if (!this.queue.runs('scoring')) throw new HttpError(503, 'this server cannot run scoring jobs (no job models are configured)');
    const project = await this.store.projects.require(projectId);
    if (project.imageCount === 0) throw new HttpError(409, 'the project has no images to score');
    const model = await this.store.models.active();
    if (!model) throw new HttpError(409, 'no model is active: activate one to score with');
    const params: ScoringParams = { projectId, modelId: model.id };
    return this.submit(await this.store.runs.createJob('scoring', params, projectId, userId));
  }

  /** A project's images, or the images of stored predictions (each explaining the class it showed), with the active or a chosen model. */
  async launchExplaining(request: ExplainingRequest, userId: number): Promise<RunRecord> {
    if (!this.queue.runs('explaining')) throw new HttpError(503, 'this server cannot run re-explanation jobs (no job models are configured)');
    const { projectId, predictionIds, method = 'gradcam' } = request;
    if ((projectId === undefined) === (predictionIds === undefined)) throw new HttpError(400, 'give either projectId or predictionIds');
    const model = request.modelId === undefined ? await this.store.models.active() : await this.store.models.require(request.modelId);
    if (!model) throw new HttpError(409, 'no model is active: activate one or choose one with modelId');
    let source: ExplainingParams['source'];
    if (projectId !== undefined) {
      const project = await this.store.projects.require(projectId);
      if (project.imageCount === 0) throw new HttpError(409, 'the project has no images to explain');
      source = { projectId };
    } else {
      const ids = [...new Set(predictionIds)];
      const found = await this.store.predictions.getMany(ids);
      const missing = ids.find((id) => !found.has(id));
      if (missing !== undefined) throw new HttpError(404, `no prediction ${missing}`);
      source = { predictionIds: ids };
    }
    const params: ExplainingParams = { source, modelId: model.id, method };
    return this.submit(await this.store.runs.createJob('explaining', params, projectId ?? null, userId));
  }

  /** A scoring or re-explanation job (404 for a training run, which is under /api/runs). */
  async require(id: number): Promise<RunRecord> {
    const run = await this.store.runs.require(id);
    if (run.kind === 'training') throw new HttpError(404, `no job with id ${id} (it is a training run: see /api/runs/${id})`);
    return run;
  }

  /**
   * The job with its summary so far, read from its results; made once per run row: on a change,
   * every event stream of the job is handed the same row, and one summary serves them all.
   */
  view(run: RunRecord): Promise<BatchJob> {
    let view = this.views.get(run);
    if (!view) this.views.set(run, (view = this.viewOf(run)));
    return view;
  }

  private async viewOf(run: RunRecord): Promise<BatchJob> {
    const kind = run.kind as BatchJob['kind'];
    const summary = kind === 'scoring' ? await this.store.batchScores.summary(run.id) : await this.store.reexplanations.summary(run.id);
    const { id, status, error, runner } = run;
    return {
      id,
      kind,
      status,
      params: run.params as BatchJob['params'],
      progress: run.progress as BatchJob['progress'],
      summary,
      error,
      runner,
      createdAt: iso(run.createdAt),
      startedAt: iso(run.startedAt),
      finishedAt: iso(run.finishedAt),
    };
  }

  private async submit(run: RunRecord): Promise<RunRecord> {
    await this.queue.submit({ kind: run.kind, runId: run.id });
    return this.store.runs.require(run.id);
  }
}
