import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../io/index.ts';
import { StoreError, type ModelRecord, type Store } from '../store/index.ts';
import type { JobContext, JobOutcome, Trainer, TrainingProgress } from './types.ts';

/**
 * Trains a run `context.runner` has marked running: writes the manifest beside images/ (so its
 * relative paths resolve inside the data folder), records the trainer's progress in order, then
 * registers the bundle as an inactive model and completes the run. Aborting `controller` stops the
 * trainer; so does a progress write the run refuses (cancelled, or taken over by another runner).
 */
export async function runTrainingJob(context: JobContext, trainer: Trainer, runId: number, projectId: number, controller: AbortController, isStopping: () => boolean): Promise<JobOutcome> {
  const { store, runner, log } = context;
  const { signal } = controller;
  let progressWritten: Promise<unknown> = Promise.resolve();
  const recordProgress = async (progress: TrainingProgress): Promise<void> => {
    try {
      if (isStopping()) return;
      if (await store.runs.setProgress(runId, progress, runner)) await context.announce(runId);
      else controller.abort();
    } catch (error) {
      log.warn({ err: error, runId }, 'could not record training progress');
    }
  };
  try {
    const manifestPath = join(store.dataDir, `manifest-run-${runId}.csv`);
    await writeFileAtomically(manifestPath, (await store.decisions.manifest(projectId)).csv);
    if (signal.aborted) return isStopping() ? 'stopped' : 'ended';
    const onProgress = (progress: TrainingProgress): void => {
      progressWritten = progressWritten.then(() => recordProgress(progress));
    };
    const { bundlePath } = await trainer.start(projectId, manifestPath, onProgress, signal, { runId });
    await progressWritten;
    if (isStopping()) return 'stopped';
    const run = await store.runs.get(runId);
    if (run?.status !== 'running' || run.runner !== runner) return 'ended';
    const model = await registerBundle(store, runId, projectId, bundlePath);
    await store.runs.complete(runId, bundlePath, model?.id ?? null, runner);
  } catch (error) {
    await progressWritten.catch(() => {});
    if (isStopping()) return 'stopped';
    if (!signal.aborted) log.error({ err: error, runId }, 'training failed');
    await store.runs.fail(runId, (error as Error)?.message ?? String(error), runner);
  }
  await context.announce(runId);
  return 'ended';
}

/** The finished bundle becomes an inactive model (metrics from its metadata.json when readable). */
async function registerBundle(store: Store, runId: number, projectId: number, bundlePath: string): Promise<ModelRecord | null> {
  const metadata = await readFile(join(bundlePath, 'metadata.json'), 'utf8')
    .then((text) => JSON.parse(text) as { metrics?: unknown })
    .catch(() => null);
  try {
    const project = await store.projects.require(projectId);
    return await store.models.register({ path: bundlePath, name: project.name, version: `run-${runId}`, metrics: metadata?.metrics ?? null });
  } catch (error) {
    // the folder is registered already (by an admin, or by a runner that stopped before completing the run)
    if (error instanceof StoreError && error.kind === 'conflict') return (await store.models.list()).find((m) => m.path === bundlePath) ?? null;
    throw error;
  }
}
