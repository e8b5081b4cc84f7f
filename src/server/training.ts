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

  constructor(
    private readonly store: Store,
    private readonly trainer: Trainer | undefined,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** After a restart: runs that were training cannot resume (failed); queued ones start in order. */
  resume(): void {
    this.store.runs.failInterrupted('stopped: the server stopped during training');
    this.startNext();
  }

  launch(projectId: number, userId: number): RunRecord {
    if (!this.trainer) throw new HttpError(503, 'no trainer is configured on this server');
    const { included, perLabel } = this.store.decisions.manifest(projectId);
    if (included === 0) throw new HttpError(409, 'the project has no decided labels to train on yet');
    if (perLabel.size < 2) {
      const [[label, count]] = perLabel;
      throw new HttpError(409, `every decided image (${count}) is labelled ${label}: a classifier needs decided images of at least two classes`);
    }
    const run = this.store.runs.create(projectId, userId);
    this.startNext();
    return this.store.runs.require(run.id);
  }

  cancel(runId: number): RunRecord {
    const run = this.store.runs.require(runId);
    if (isFinished(run.status)) throw new HttpError(409, `the run has already ended (${run.status})`);
    this.store.runs.cancel(runId);
    if (this.current?.runId === runId) this.current.controller.abort();
    this.notify(runId);
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
    const running = this.current;
    if (running) {
      this.store.runs.fail(running.runId, 'stopped: the server shut down during training');
      this.notify(running.runId);
      running.controller.abort();
    }
    this.closed = true;
    this.listeners.clear();
    if (running) await Promise.race([running.done, new Promise((resolve) => setTimeout(resolve, TRAINER_STOP_WAIT_MS).unref())]);
  }

  private startNext(): void {
    if (this.current || this.closed || !this.trainer) return;
    const next = this.store.runs.nextQueued();
    if (!next || !this.store.runs.markRunning(next.id)) return;
    const controller = new AbortController();
    const done = this.train(next.id, next.projectId, controller.signal).finally(() => {
      this.current = null;
      this.startNext();
    });
    this.current = { runId: next.id, controller, done };
    this.notify(next.id);
  }

  private async train(runId: number, projectId: number, signal: AbortSignal): Promise<void> {
    const trainer = this.trainer!; // checked by startNext
    try {
      // Beside images/, so the manifest's relative paths resolve inside the data folder.
      const manifestPath = join(this.store.dataDir, `manifest-run-${runId}.csv`);
      await writeFileAtomically(manifestPath, this.store.decisions.manifest(projectId).csv);
      if (signal.aborted) return;
      const onProgress = (progress: TrainingProgress): void => {
        if (!this.closed && this.store.runs.setProgress(runId, progress)) this.notify(runId);
      };
      const { bundlePath } = await trainer.start(projectId, manifestPath, onProgress, signal);
      if (this.closed || this.store.runs.get(runId)?.status !== 'running') return;
      const model = await this.registerBundle(runId, projectId, bundlePath);
      this.store.runs.complete(runId, bundlePath, model?.id ?? null);
    } catch (error) {
      if (this.closed) return;
      if (!signal.aborted) this.log.error({ err: error, runId }, 'training failed');
      this.store.runs.fail(runId, (error as Error)?.message ?? String(error));
    }
    this.notify(runId);
  }

  /** The finished bundle becomes an inactive model (metrics from its metadata.json when readable). */
  private async registerBundle(runId: number, projectId: number, bundlePath: string): Promise<ModelRecord | null> {
    const metadata = await readFile(join(bundlePath, 'metadata.json'), 'utf8')
      .then((text) => JSON.parse(text) as { metrics?: unknown })
      .catch(() => null);
    try {
      const project = this.store.projects.require(projectId);
      return this.store.models.register({ path: bundlePath, name: project.name, version: `run-${runId}`, metrics: metadata?.metrics ?? null });
    } catch (error) {
      if (error instanceof StoreError && error.kind === 'conflict') return this.store.models.list().find((m) => m.path === bundlePath) ?? null;
      throw error;
    }
  }

  private notify(runId: number): void {
    const listeners = this.listeners.get(runId);
    if (!listeners) return;
    const run = this.store.runs.require(runId);
    for (const listener of [...listeners]) listener(run);
  }
}
