import type { BatchScoreOutput, FieldSummary, PredictorResult, ScoringParams, WholeFieldResult } from '../contract/index.ts';
import type { RunRecord } from '../store/index.ts';
import { outputOrError, runBatchJob } from './batch-job.ts';
import type { JobModels } from './models.ts';
import type { JobContext, JobOutcome } from './types.ts';

/** Whether the predictor read the photo as a whole field (POST /api/predict's answer to a whole field). */
export function isWholeField(result: PredictorResult | WholeFieldResult): result is WholeFieldResult {
  return typeof (result as WholeFieldResult).wholeField === 'string';
}

/** What a scoring job keeps of the model's answer: what POST /api/predict records, without the heatmap and tile map. */
export function scoreOutputOf(result: PredictorResult | WholeFieldResult): BatchScoreOutput {
  const read = isWholeField(result) ? result.prediction : result;
  if (read === null) return { unread: { reasons: (result as WholeFieldResult).quality.reasons } };
  if (read.refusal) return { refusal: read.refusal };
  const answer = { classes: read.classes, top: read.top, uncertain: read.uncertain };
  const { field } = read as { field?: FieldSummary };
  if (!field) return answer;
  const { label, multiple, forced } = field;
  return { ...answer, field: { label, multiple, forced } };
}

/**
 * Scores every image of the job's project with the job's model (the active one when launched),
 * each as POST /api/predict reads it: a tile, a whole field, or a refusal. An image the model
 * cannot process is recorded with the error, and the job goes on.
 */
export async function runScoringJob(context: JobContext, models: JobModels, run: RunRecord, controller: AbortController, isStopping: () => boolean): Promise<JobOutcome> {
  const { store, runner, log } = context;
  const params = run.params as ScoringParams;
  return runBatchJob(context, run.id, controller, isStopping, async () => {
    const model = await store.models.require(params.modelId);
    const items = (await store.projects.imageHashes(params.projectId)).map((sha256) => ({ key: sha256 }));
    const done = await store.batchScores.scoredImages(run.id);
    const scoring = await models.forScoring(model);
    return {
      items,
      done,
      dispose: () => scoring.dispose(),
      async process({ key }) {
        const output: BatchScoreOutput = await outputOrError(
          async () => scoreOutputOf(await scoring.predict(await store.images.read(key))),
          (error) => log.warn({ err: error, runId: run.id, image: key }, 'the model could not score an image'),
        );
        return store.batchScores.record(run.id, runner, { imageSha256: key, modelId: model.id, modelVersion: scoring.modelVersion, output });
      },
    };
  });
}
