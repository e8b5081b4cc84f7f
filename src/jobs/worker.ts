import { Worker, WaitingError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueuedJob } from '../contract/index.ts';
import { isFinished, type Runner, type Store } from '../store/index.ts';
import { connectRedis } from './redis-connection.ts';
import { redisOptionsOf } from './redis-url.ts';
import { channelsOf, DEFAULT_QUEUE_TIMINGS, QUEUE_NAME, type RedisQueueOptions } from './redis-settings.ts';
import { runnerName } from './runner.ts';
import { runTrainingJob, type TrainingJobContext } from './training-job.ts';
import type { JobLog, Trainer } from './types.ts';

export interface JobWorkerOptions extends RedisQueueOptions {
  store: Store;
  trainer: Trainer;
  log: JobLog;
  /** Recorded in the runs it takes (default "worker HOST pid PID"). */
  runner?: Runner;
}

/**
 * Takes jobs from the Redis queue one at a time and runs them: the run's progress and end go to
 * the database, and a message on Redis tells every server to pass the run's new row to its
 * listeners. A job whose worker dies (kill -9, power cut) is handed by BullMQ to another worker
 * once its hold lapses; that worker takes the run over, its trainer continuing from the run's
 * checkpoint when it keeps one (the project trainer does, in the shared data folder). A
 * cancellation published on Redis stops the trainer of the run wherever it runs. Closing hands
 * the running job back to the queue.
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
    const prefix = options.prefix ?? 'gramlens';
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

  /** Stops taking jobs; a job being trained goes back to the queue for another worker (its run queued again). */
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
      if (run.status === 'running') log.info({ runId, previous: run.runner }, 'taking over a training run whose worker stopped');
      else log.info({ runId, projectId: run.projectId }, 'training run started');
      await this.announce(runId);
      const context: TrainingJobContext = { store, trainer: this.options.trainer, runner: this.runner, log, announce: (id) => this.announce(id) };
      const outcome = await runTrainingJob(context, runId, run.projectId, controller, () => this.stopping);
      if (outcome === 'ended') {
        log.info({ runId, status: (await store.runs.get(runId))?.status }, 'training run ended');
        return 'ended';
      }
      log.info({ runId }, 'training run handed back to the queue (this worker is stopping)');
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

  /** A job BullMQ gave up on (an error outside the training, which records its own): its run fails. */
  private async recordFailure(job: Job<QueuedJob> | undefined, error: Error): Promise<void> {
    if (!job) return;
    try {
      if (await this.options.store.runs.fail(job.data.runId, `the job failed: ${error.message}`)) await this.announce(job.data.runId);
    } catch (failure) {
      this.options.log.error({ err: failure, runId: job.data.runId }, 'could not record a failed job');
    }
  }

  private async announce(runId: number): Promise<void> {
    await this.connection.publish(channelsOf(this.options.prefix ?? 'gramlens').runChanged, String(runId));
  }
}
