import type { JobKind, QueuedJob } from '../contract/index.ts';
import type { Runner, Store } from '../store/index.ts';
import { RunListeners } from './listeners.ts';
import { kindsRunBy, runJob } from './run-job.ts';
import { isLocalRunnerGone, runnerName } from './runner.ts';
import type { JobLog, JobMeans, JobQueue, RunListener } from './types.ts';

/** How long shutdown waits for an aborted job to settle. */
const JOB_STOP_WAIT_MS = 5000;

/**
 * The queue of one machine: this process runs the queued jobs one at a time (the machine has few
 * cores) in the order launched, oldest first. Several servers sharing a database each take queued
 * jobs; a job is claimed by one of them only.
 */
export class LocalJobQueue implements JobQueue {
  private readonly kinds: JobKind[];
  private readonly listeners: RunListeners;
  private current: { runId: number; kind: JobKind; controller: AbortController; done: Promise<void> } | null = null;
  private closed = false;
  private starting: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly means: JobMeans,
    private readonly log: JobLog,
    readonly runner: Runner = runnerName('server'),
  ) {
    this.kinds = kindsRunBy(means);
    this.listeners = new RunListeners(store);
  }

  runs(kind: JobKind): boolean {
    return this.kinds.includes(kind);
  }

  /**
   * Of the jobs an earlier server process of this host left running, training runs cannot resume
   * (failed) and scoring and re-explanation jobs go on from their results (queued again); queued
   * ones start in order.
   */
  async start(): Promise<void> {
    await this.store.runs.failInterrupted('stopped: the server stopped during training', (runner) => isLocalRunnerGone(runner));
    await this.store.runs.requeueInterrupted((runner) => isLocalRunnerGone(runner));
    this.startNext();
  }

  /** Resolves once the job has started, if it could (the run is then 'running'). */
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

  /** Stops the running job (a training run is marked failed, another job queued again for the next start) and waits briefly for it to let go. */
  async close(): Promise<void> {
    this.closed = true;
    await this.starting;
    const running = this.current;
    if (running) {
      try {
        if (running.kind === 'training') await this.store.runs.fail(running.runId, 'stopped: the server shut down during training', this.runner);
        else await this.store.runs.requeue(running.runId, this.runner);
        await this.announce(running.runId);
      } catch (error) {
        this.log.error({ err: error, runId: running.runId }, 'could not record that the server stopped a job');
      } finally {
        running.controller.abort();
      }
    }
    this.listeners.clear();
    if (running) await Promise.race([running.done, new Promise((resolve) => setTimeout(resolve, JOB_STOP_WAIT_MS).unref())]);
  }

  /** Starts the oldest queued job if none is running; attempts run one after another, so two never claim jobs at once. */
  private startNext(): void {
    this.starting = this.starting.then(() => this.claimNext()).catch((error: unknown) => this.log.error({ err: error }, 'could not start the next job'));
  }

  private async claimNext(): Promise<void> {
    if (this.current || this.closed) return;
    const next = await this.store.runs.nextQueued(this.kinds);
    if (!next || !(await this.store.runs.markRunning(next.id, this.runner))) return;
    const controller = new AbortController();
    const context = { store: this.store, ...this.means, runner: this.runner, log: this.log, announce: (runId: number) => this.announce(runId) };
    const done = runJob(context, next, controller, () => this.closed)
      .then(() => undefined)
      .catch((error: unknown) => this.log.error({ err: error, runId: next.id }, 'could not record the end of a job'))
      .finally(() => {
        this.current = null;
        this.startNext();
      });
    this.current = { runId: next.id, kind: next.kind, controller, done };
    await this.announce(next.id);
  }
}
