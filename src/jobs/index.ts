/** Long jobs (training runs): the local queue of one machine, or BullMQ on Redis with workers anywhere. */
export type { JobLog, JobQueue, RunListener, Trainer, TrainingProgress, TrainingRunRef } from './types.ts';
export { LocalJobQueue } from './local.ts';
export { checkRedis, openRedisJobQueue, startJobWorker } from './redis.ts';
export type { RedisJobQueue, RedisJobQueueOptions } from './redis-queue.ts';
export type { JobWorker, JobWorkerOptions } from './worker.ts';
export { isRedisUrl, redactedRedisUrl, redisOptionsOf } from './redis-url.ts';
export { DEFAULT_QUEUE_TIMINGS, type QueueTimings, type RedisQueueOptions } from './redis-settings.ts';
export { isLocalRunnerGone, runnerName } from './runner.ts';
