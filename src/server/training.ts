import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { isFinished, StoreError, type ModelRecord, type RunRecord, type Store } from '../store/index.ts';
import { writeFileAtomically } from '../io/index.ts';
import { HttpError } from './errors.ts';
import type { Trainer, TrainingProgress } from './options.ts';

export type RunListener = (run: RunRecord) => void;

/** How long shutdown waits for an aborted trainer to settle. */
const TRAINER_STOP_WAIT_MS = 5000;

/**
 * Runs training one at a time (the machine has few cores) in the order launched, keeps the run
 * rows up to date and tells subscribers (the SSE streams) about every change.
 */
export class TrainingQueue {
  private readonly listeners = new Map<number, Set<RunListener>>();
  private current: { runId: number; controller: AbortController; done: Promise<void> } | null = null;
  private closed = false;
  private starting: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly trainer: Trainer | undefined,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** After a restart: runs that were training cannot resume (failed); queued ones start in order. */
  async resume(): Promise<void> {
    await this.store.runs.failInterrupted('stopped: the server stopped during training');
    this.startNext();
  }

  async launch(projectId: number, userId: number): Promise<RunRecord> {
    if (!this.trainer) throw new HttpError(503, 'no trainer is configured on this server');
    const { included, perLabel } = await this.store.decisions.manifest(projectId);
    if (included === 0) throw new HttpError(409, 'the project has no decided labels to train on yet');
    if (perLabel.size < 2) {
      const [[label, count]] = perLabel;
      throw new HttpError(409, `every decided image (${count}) is labelled ${label}: a classifier needs decided images of at least two classes`);
    }
    const run = await this.store.runs.create(projectId, userId);
    this.startNext();
    await this.starting;
    return this.store.runs.require(run.id);
  }

  async cancel(runId: number): Promise<RunRecord> {
    const run = await this.store.runs.require(runId);
    if (isFinished(run.status)) throw new HttpError(409, `the run has already ended (${run.status})`);
    await this.store.runs.cancel(runId);
    if (this.current?.runId === runId) this.current.controller.abort();
    await this.notify(runId);
    return this.store.runs.require(runId);
  }

  subscribe(runId: number, listener: RunListener): () => void {
    const set = this.listeners.get(runId) ?? new Set();
    set.add(listener);
    this.listeners.set(runId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(runId);
    };
  }

  /** Stops the running training (marked failed) and waits briefly for the trainer to let go. */
  async close(): Promise<void> {
    this.closed = true;
    await this.starting;
    const running = this.current;
    if (running) {
      try {
        await this.store.runs.fail(running.runId, 'stopped: the server shut down during training');
        await this.notify(running.runId);
      } catch (error) {
        this.log.error({ err: error, runId: running.runId }, 'could not record that the server stopped a training run');
      } finally {
        running.controller.abort();
      }
    }
    this.listeners.clear();
    if (running) await Promise.race([running.done, new Promise((resolve) => setTimeout(resolve, TRAINER_STOP_WAIT_MS).unref())]);
  }

  /** Starts the oldest queued run if none is training; attempts run one after another, so two never claim runs at once. */
  private startNext(): void {
    this.starting = this.starting.then(() => this.claimNext()).catch((error: unknown) => this.log.error({ err: error }, 'could not start the next training run'));
  }

  private async claimNext(): Promise<void> {
    if (this.current || this.closed || !this.trainer) return;
    const next = await this.store.runs.nextQueued();
    if (!next || !(await this.store.runs.markRunning(next.id))) return;
    const controller = new AbortController();
    const done = this.train(next.id, next.projectId, controller.signal)
      .catch((error: unknown) => this.log.error({ err: error, runId: next.id }, 'could not record the end of a training run'))
      .finally(() => {
      this.current = null;
      this.startNext();
    });
    this.current = { runId: next.id, controller, done };
    await this.notify(next.id);
  }

  private async train(runId: number, projectId: number, signal: AbortSignal): Promise<void> {
    const trainer = this.trainer!; // checked by claimNext
    // progress is written in the order reported, and before the run's end
    let progressWritten: Promise<unknown> = Promise.resolve();
    try {
      // Beside images/, so the manifest's relative paths resolve inside the data folder.
      const manifestPath = join(this.store.dataDir, `manifest-run-${runId}.csv`);
      await writeFileAtomically(manifestPath, (await this.store.decisions.manifest(projectId)).csv);
      if (signal.aborted) return;
      const onProgress = (progress: TrainingProgress): void => {
        progressWritten = progressWritten.then(() => this.recordProgress(runId, progress));
      };
      const { bundlePath } = await trainer.start(projectId, manifestPath, onProgress, signal);
      await progressWritten;
      if (this.closed || (await this.store.runs.get(runId))?.status !== 'running') return;
      const model = await this.registerBundle(runId, projectId, bundlePath);
      await this.store.runs.complete(runId, bundlePath, model?.id ?? null);
    } catch (error) {
      await progressWritten.catch(() => {});
      if (this.closed) return;
      if (!signal.aborted) this.log.error({ err: error, runId }, 'training failed');
      await this.store.runs.fail(runId, (error as Error)?.message ?? String(error));
    }
    await this.notify(runId);
  }

  private async recordProgress(runId: number, progress: TrainingProgress): Promise<void> {
    try {
      if (!this.closed && (await this.store.runs.setProgress(runId, progress))) await this.notify(runId);
    } catch (error) {
      this.log.warn({ err: error, runId }, 'could not record training progress');
    }
  }

  /** The finished bundle becomes an inactive model (metrics from its metadata.json when readable). */
  private async registerBundle(runId: number, projectId: number, bundlePath: string): Promise<ModelRecord | null> {
    const metadata = await readFile(join(bundlePath, 'metadata.json'), 'utf8')
      .then((text) => JSON.parse(text) as { metrics?: unknown })
      .catch(() => null);
    try {
      const project = await this.store.projects.require(projectId);
      return await this.store.models.register({ path: bundlePath, name: project.name, version: `run-${runId}`, metrics: metadata?.metrics ?? null });
    } catch (error) {
      if (error instanceof StoreError && error.kind === 'conflict') return (await this.store.models.list()).find((m) => m.path === bundlePath) ?? null;
      throw error;
    }
  }

  private async notify(runId: number): Promise<void> {
    const listeners = this.listeners.get(runId);
    if (!listeners) return;
    const run = await this.store.runs.require(runId);
    for (const listener of [...listeners]) listener(run);
  }
}
