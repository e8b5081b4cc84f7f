import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobKind, QueuedJob } from '../contract/index.ts';
import type { Store } from '../store/index.ts';
import { RunListeners } from './listeners.ts';
import { connectRedis } from './redis-connection.ts';
import { redisOptionsOf } from './redis-url.ts';
import { channelsOf, DEFAULT_PREFIX, jobIdOf, QUEUE_NAME, runIdOfJobId, type RedisQueueOptions } from './redis-settings.ts';
import { JobWorker } from './worker.ts';
import type { JobLog, JobMeans, JobQueue, RunListener } from './types.ts';

export interface RedisJobQueueOptions extends RedisQueueOptions {
  store: Store;
  log: JobLog;
  /** Given (a trainer, job models or both), this process also works as a queue worker with them. */
  worker?: JobMeans;
}

/** Finished jobs BullMQ keeps (for an operator's look), the rest are removed. */
const FAILED_JOBS_KEPT = 100;

/**
 * A server's side of the BullMQ queue on Redis: jobs are added there (they outlive this process)
 * and taken by `gramlens worker` processes anywhere (and by this one if it has a trainer or job models). Every
 * server hears, on a Redis channel, that a run changed, and passes the run's row to its own
 * listeners (the SSE streams of the admin's page); a cancellation is published for the worker
 * running the run.
 */
export class RedisJobQueue implements JobQueue {
  private readonly listeners: RunListeners;
  private readonly prefix: string;
  private worker: JobWorker | null = null;

  private constructor(
    private readonly options: RedisJobQueueOptions,
    private readonly connection: Redis,
    private readonly subscriber: Redis,
    private readonly queue: Queue<QueuedJob>,
    private readonly events: QueueEvents,
    private readonly eventsConnection: Redis,
  ) {
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    this.listeners = new RunListeners(options.store);
  }

  /** Workers anywhere take the jobs of every kind. */
  runs(_kind: JobKind): boolean {
    return true;
  }

  /** Connects (Redis must be reachable: checkRedis gives a clear error first); nothing is taken up before start(). */
  static async open(options: RedisJobQueueOptions): Promise<RedisJobQueue> {
    const prefix = options.prefix ?? DEFAULT_PREFIX;
    const redisOptions = redisOptionsOf(options.url);
    const connection = connectRedis(redisOptions, 'gramlens-server');
    const subscriber = connectRedis(redisOptions, 'gramlens-server-events');
    const queue = new Queue<QueuedJob>(QUEUE_NAME, { connection, prefix });
    // QueueEvents blocks its connection reading the events' stream: one of its own
    const eventsConnection = connectRedis(redisOptions, 'gramlens-server-queue-events');
    const events = new QueueEvents(QUEUE_NAME, { connection: eventsConnection, prefix });
    const self = new RedisJobQueue(options, connection, subscriber, queue, events, eventsConnection);
    queue.on('error', (error) => options.log.warn({ err: error }, 'job queue: connection trouble (retrying)'));
    events.on('error', (error) => options.log.warn({ err: error }, 'job queue: connection trouble (retrying)'));
    events.on('failed', ({ jobId, failedReason }) => void self.recordFailure(jobId, failedReason));
    const { runChanged } = channelsOf(prefix);
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === runChanged) void self.relay(Number(message));
    });
    await subscriber.subscribe(runChanged);
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    return self;
  }

  /**
   * Queued runs are queued again (a server that died between writing a run and queueing its job
   * leaves one; a job already there is not added twice). Runs marked running whose job is gone
   * or failed are failed. Then this process's own worker, if any, starts.
   */
  async start(): Promise<void> {
    const { store } = this.options;
    for (const run of await store.runs.withStatus('queued')) {
      const job = await this.queue.getJob(jobIdOf({ kind: run.kind, runId: run.id }));
      if (job && (await job.getState()) === 'failed') await this.recordFailure(job.id, job.failedReason);
      else if (!job) await this.submit({ kind: run.kind, runId: run.id });
    }
    for (const run of await store.runs.withStatus('running')) {
      const jobId = jobIdOf({ kind: run.kind, runId: run.id });
      const job = await this.queue.getJob(jobId);
      const state = job ? await job.getState() : 'missing';
      if (state === 'missing' || state === 'failed' || state === 'completed') await this.recordFailure(jobId, job?.failedReason || 'its job left the queue before the run ended');
    }
    const { worker, ...options } = this.options;
    if (worker) this.worker = await JobWorker.start({ ...options, ...worker });
  }

  async submit(job: QueuedJob): Promise<void> {
    await this.queue.add(job.kind, job, { jobId: jobIdOf(job), removeOnComplete: true, removeOnFail: FAILED_JOBS_KEPT });
  }

  /** A waiting job is removed; a running one is stopped by its worker, which hears it on Redis. */
  async cancel(job: QueuedJob): Promise<void> {
    await this.connection.publish(channelsOf(this.prefix).cancel, String(job.runId));
    try {
      await this.queue.remove(jobIdOf(job));
    } catch {
      // active (its worker holds it): the worker stops it and the job ends there
    }
  }

  subscribe(runId: number, listener: RunListener): () => void {
    return this.listeners.subscribe(runId, listener);
  }

  async announce(runId: number): Promise<void> {
    await this.connection.publish(channelsOf(this.prefix).runChanged, String(runId));
  }

  async close(): Promise<void> {
    try {
      await this.worker?.close();
    } finally {
      this.listeners.clear();
      await Promise.allSettled([this.queue.close(), this.events.close()]);
      for (const client of [this.subscriber, this.eventsConnection, this.connection]) client.disconnect();
    }
  }

  private async relay(runId: number): Promise<void> {
    try {
      await this.listeners.notify(runId);
    } catch (error) {
      this.options.log.warn({ err: error, runId }, 'could not pass on a change of a job');
    }
  }

  /** BullMQ gave up on the job (e.g. its workers died more often than allowed): the run fails, if it had not ended. */
  private async recordFailure(jobId: string | undefined, reason: string | undefined): Promise<void> {
    const runId = runIdOfJobId(jobId);
    if (runId === null) return;
    try {
      if (await this.options.store.runs.fail(runId, `the job failed: ${reason || 'no reason given'}`)) await this.announce(runId);
    } catch (error) {
      this.options.log.error({ err: error, runId }, 'could not record a failed job');
    }
  }
}
