/** Long jobs (training, scoring, re-explanation): the local queue of one machine, or BullMQ on Redis with workers anywhere. */
export type { JobLog, JobMeans, JobQueue, RunListener, Trainer, TrainingProgress } from './types.ts';
export { bundleJobModels, type ExplainingModel, type JobModels, type ScoringModel } from './models.ts';
export { isWholeField, scoreOutputOf } from './scoring-job.ts';
export { LocalJobQueue } from './local.ts';
export { checkRedis, openRedisJobQueue, startJobWorker } from './redis.ts';
export type { JobWorker } from './worker.ts';
export { isRedisUrl, redisOptionsOf } from './redis-url.ts';
export { DEFAULT_QUEUE_TIMINGS, QUEUE_NAME, type QueueTimings, type RedisQueueOptions } from './redis-settings.ts';
export { isLocalRunnerGone, runnerName } from './runner.ts';
