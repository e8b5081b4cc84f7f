import type { ExplainingParams } from '../contract/index.ts';
import { reexplanationItem, type ReexplanationOutput, type RunRecord, type Store } from '../store/index.ts';
import { outputOrError, runBatchJob } from './batch-job.ts';
import type { JobModels } from './models.ts';
import type { JobContext, JobOutcome } from './types.ts';

interface ExplainItem {
  key: string;
  imageSha256: string;
  predictionId: string | null;
  /** The class the prediction showed (a refused prediction showed none: the predicted class is explained). */
  targetClass?: string;
}

async function itemsOf(store: Store, source: ExplainingParams['source']): Promise<ExplainItem[]> {
  if ('projectId' in source) return (await store.projects.imageHashes(source.projectId)).map((sha256) => ({ key: sha256, imageSha256: sha256, predictionId: null }));
  const items: ExplainItem[] = [];
  const found = await store.predictions.getMany(source.predictionIds);
  for (const id of source.predictionIds) {
    const prediction = found.get(id);
    if (!prediction) throw new Error(`no prediction ${id}`);
    const item = { imageSha256: prediction.imageSha256, predictionId: id, targetClass: prediction.output.refusal ? undefined : prediction.output.top.label };
    items.push({ key: reexplanationItem(item), ...item });
  }
  return items;
}

/**
 * Recomputes explanations with the job's model and method for a project's images or stored
 * predictions, and stores them beside the heatmaps clinicians were shown (never in their place).
 */
export async function runExplainingJob(context: JobContext, models: JobModels, run: RunRecord, controller: AbortController, isStopping: () => boolean): Promise<JobOutcome> {
  const { store, runner, log } = context;
  const params = run.params as ExplainingParams;
  return runBatchJob(context, run.id, controller, isStopping, async () => {
    const model = await store.models.require(params.modelId);
    const items = await itemsOf(store, params.source);
    const done = await store.reexplanations.doneItems(run.id);
    const explaining = await models.forExplaining(model);
    return {
      items,
      done,
      dispose: () => explaining.dispose(),
      async process(item) {
        const output: ReexplanationOutput = await outputOrError(
          async () => explaining.explain(await store.images.read(item.imageSha256), { method: params.method, targetClass: item.targetClass }),
          (error) => log.warn({ err: error, runId: run.id, item: item.key }, 'the model could not explain an image'),
        );
        const { imageSha256, predictionId } = item;
        return store.reexplanations.record(run.id, runner, { imageSha256, predictionId, modelId: model.id, modelVersion: explaining.modelVersion, method: params.method, output });
      },
    };
  });
}
