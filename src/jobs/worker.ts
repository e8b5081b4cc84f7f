import { Worker, WaitingError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueuedJob } from '../contract/index.ts';
import { isFinished, type Runner, type Store } from '../store/index.ts';
import { connectRedis } from './redis-connection.ts';
import { redisOptionsOf } from './redis-url.ts';
import { channelsOf, DEFAULT_PREFIX, DEFAULT_QUEUE_TIMINGS, QUEUE_NAME, type RedisQueueOptions } from './redis-settings.ts';
import { runnerName } from './runner.ts';
import { runJob } from './run-job.ts';
import type { JobContext, JobLog, JobMeans } from './types.ts';

export interface JobWorkerOptions extends RedisQueueOptions, JobMeans {
  store: Store;
  log: JobLog;
  /** Recorded in the runs it takes (default "worker HOST pid PID"). */
  runner?: Runner;
}

/**
 * Takes jobs from the Redis queue one at a time and runs them (training with its trainer, scoring
 * and re-explanation with its job models): the run's progress and end go to the database, and a
 * message on Redis tells every server to pass the run's new row to its listeners. A job whose
 * worker dies (kill -9, power cut) is handed by BullMQ to another worker once its hold lapses;
 * that worker takes the run over: a trainer continues from the run's checkpoint when it keeps one
 * (the project trainer does, in the shared data folder), a scoring or re-explanation job skips the
 * items already recorded. A cancellation published on Redis stops the run wherever it runs.
 * Closing hands the running job back to the queue.
 */
export class JobWorker {
  readonly runner: Runner;
  private readonly active = new Map<number, AbortController>();
  private stopping = false;

  private constructor(
    private readonly options: JobWorkerOptions,
    private readonly connection: Redis,
    private readonly subscriber: Redis,
    private readonly worker: Worker<QueuedJob>,
  ) {
    this.runner = options.runner ?? runnerName('worker');
  }

  static async start(options: JobWorkerOptions): Promise<JobWorker> {
    const prefix = options.prefix ?? DEFAULT_PREFIX;
    const timings = { ...DEFAULT_QUEUE_TIMINGS, ...options.timings };
    const redisOptions = redisOptionsOf(options.url);
    const connection = connectRedis(redisOptions, 'gramlens-worker');
    const subscriber = connectRedis(redisOptions, 'gramlens-worker-cancel');
    let self: JobWorker | undefined;
    const worker = new Worker<QueuedJob>(QUEUE_NAME, (job, token) => self!.process(job, token), {
      connection,
      prefix,
      concurrency: 1,
      autorun: false,
      lockDuration: timings.lockDurationMs,
      stalledInterval: timings.stalledIntervalMs,
      maxStalledCount: timings.maxStalledCount,
    });
    self = new JobWorker(options, connection, subscriber, worker);
    worker.on('error', (error) => options.log.warn({ err: error }, 'job queue: connection trouble (retrying)'));
    worker.on('failed', (job, error) => void self!.recordFailure(job, error));
    const { cancel } = channelsOf(prefix);
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === cancel) self!.active.get(Number(message))?.abort();
    });
    await subscriber.subscribe(cancel);
    void worker.run();
    await worker.waitUntilReady();
    return self;
  }

  /** Stops taking jobs; a job being run goes back to the queue for another worker (its run queued again). */
  async close(): Promise<void> {
    this.stopping = true;
    for (const controller of this.active.values()) controller.abort();
    try {
      await this.worker.close();
    } finally {
      this.subscriber.disconnect();
      this.connection.disconnect();
    }
  }

  private async process(job: Job<QueuedJob>, token: string | undefined): Promise<string> {
    const { store, log } = this.options;
    const { runId } = job.data;
    if (this.stopping) return this.handBack(job, token);
    const run = await store.runs.get(runId);
    if (!run || isFinished(run.status)) return 'skipped';
    const controller = new AbortController();
    this.active.set(runId, controller);
    try {
      // A run still 'running' was its previous worker's, which died: this one takes it over.
      if (!(await store.runs.markRunning(runId, this.runner, true))) return 'skipped';
      if (run.status === 'running') log.info({ runId, kind: run.kind, previous: run.runner }, 'taking over a job whose worker stopped');
      else log.info({ runId, kind: run.kind, projectId: run.projectId }, 'job started');
      await this.announce(runId);
      const { trainer, models } = this.options;
      const context: JobContext = { store, trainer, models, runner: this.runner, log, announce: (id) => this.announce(id) };
      const outcome = await runJob(context, run, controller, () => this.stopping);
      if (outcome === 'ended') {
        log.info({ runId, kind: run.kind, status: (await store.runs.get(runId))?.status }, 'job ended');
        return 'ended';
      }
      log.info({ runId, kind: run.kind }, 'job handed back to the queue (this worker is stopping)');
      if (await store.runs.requeue(runId, this.runner)) await this.announce(runId);
      return await this.handBack(job, token);
    } finally {
      this.active.delete(runId);
    }
  }

  /** Puts the job back in the queue for another worker (BullMQ counts no attempt). */
  private async handBack(job: Job<QueuedJob>, token: string | undefined): Promise<never> {
    await job.moveToWait(token);
    throw new WaitingError();
  }

  /** A job BullMQ gave up on (an error outside the job, which records its own): its run fails. */
  private async recordFailure(job: Job<QueuedJob> | undefined, error: Error): Promise<void> {
    if (!job) return;
    try {
      if (await this.options.store.runs.fail(job.data.runId, `the job failed: ${error.message}`)) await this.announce(job.data.runId);
    } catch (failure) {
      this.options.log.error({ err: failure, runId: job.data.runId }, 'could not record a failed job');
    }
  }

  private async announce(runId: number): Promise<void> {
    await this.connection.publish(channelsOf(this.options.prefix).runChanged, String(runId));
  }
}
