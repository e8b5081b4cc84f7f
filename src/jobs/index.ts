/** Long jobs (training runs): the local queue of one machine, or BullMQ on Redis with workers anywhere. */
export type { JobLog, JobQueue, RunListener, Trainer, TrainingProgress } from './types.ts';
export { LocalJobQueue } from './local.ts';
export { RedisJobQueue } from './redis-queue.ts';
export { JobWorker, type JobWorkerOptions } from './worker.ts';
export { checkRedis, isRedisUrl, redactedRedisUrl, redisOptionsOf } from './redis-connection.ts';
export { DEFAULT_QUEUE_TIMINGS, type QueueTimings, type RedisQueueOptions } from './redis-settings.ts';
export { isLocalRunnerGone, runnerName } from './runner.ts';
