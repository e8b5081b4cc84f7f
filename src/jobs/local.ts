import type { QueuedJob } from '../contract/index.ts';
import type { Runner, Store } from '../store/index.ts';
import { RunListeners } from './listeners.ts';
import { isLocalRunnerGone, runnerName } from './runner.ts';
import { runTrainingJob } from './training-job.ts';
import type { JobLog, JobQueue, RunListener, Trainer } from './types.ts';

/** How long shutdown waits for an aborted trainer to settle. */
const TRAINER_STOP_WAIT_MS = 5000;

/**
 * The queue of one machine: this process trains the queued runs one at a time (the machine has
 * few cores) in the order launched, oldest first. Several servers sharing a database each take
 * queued runs; a run is claimed by one of them only.
 */
export class LocalJobQueue implements JobQueue {
  readonly runsJobs: boolean;
  private readonly listeners: RunListeners;
  private current: { runId: number; controller: AbortController; done: Promise<void> } | null = null;
  private closed = false;
  private starting: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly trainer: Trainer | undefined,
    private readonly log: JobLog,
    readonly runner: Runner = runnerName('server'),
  ) {
    this.runsJobs = trainer !== undefined;
    this.listeners = new RunListeners(store);
  }

  /** Runs an earlier server process of this host left running cannot resume (failed); queued ones start in order. */
  async start(): Promise<void> {
    await this.store.runs.failInterrupted('stopped: the server stopped during training', (runner) => isLocalRunnerGone(runner));
    this.startNext();
  }

  /** Resolves once the run has started, if it could (the run is then 'running'). */
  async submit(_job: QueuedJob): Promise<void> {
    this.startNext();
    await this.starting;
  }

  async cancel(job: QueuedJob): Promise<void> {
    if (this.current?.runId === job.runId) this.current.controller.abort();
  }

  subscribe(runId: number, listener: RunListener): () => void {
    return this.listeners.subscribe(runId, listener);
  }

  announce(runId: number): Promise<void> {
    return this.listeners.notify(runId);
  }

  /** Stops the running training (marked failed) and waits briefly for the trainer to let go. */
  async close(): Promise<void> {
    this.closed = true;
    await this.starting;
    const running = this.current;
    if (running) {
      try {
        await this.store.runs.fail(running.runId, 'stopped: the server shut down during training', this.runner);
        await this.announce(running.runId);
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
    if (!next || !(await this.store.runs.markRunning(next.id, this.runner))) return;
    const controller = new AbortController();
    const context = { store: this.store, trainer: this.trainer, runner: this.runner, log: this.log, announce: (runId: number) => this.announce(runId) };
    const done = runTrainingJob(context, next.id, next.projectId, controller, () => this.closed)
      .then(() => undefined)
      .catch((error: unknown) => this.log.error({ err: error, runId: next.id }, 'could not record the end of a training run'))
      .finally(() => {
        this.current = null;
        this.startNext();
      });
    this.current = { runId: next.id, controller, done };
    await this.announce(next.id);
  }
}
