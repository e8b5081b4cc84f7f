import type { JobWorker, JobWorkerOptions } from './worker.ts';
import type { RedisJobQueue, RedisJobQueueOptions } from './redis-queue.ts';

// BullMQ and ioredis load only when a Redis queue is configured: one machine needs neither.

/** Connects once (no retries) and checks the server can hold the queue; a one-line error otherwise. */
export async function checkRedis(url: string, timeoutMs?: number): Promise<void> {
  return (await import('./redis-connection.ts')).checkRedis(url, timeoutMs);
}

/** A server's side of the BullMQ queue (see RedisJobQueue); check the URL with checkRedis first for a clear error. */
export async function openRedisJobQueue(options: RedisJobQueueOptions): Promise<RedisJobQueue> {
  return (await import('./redis-queue.ts')).RedisJobQueue.open(options);
}

/** A queue worker taking jobs until closed (see JobWorker). */
export async function startJobWorker(options: JobWorkerOptions): Promise<JobWorker> {
  return (await import('./worker.ts')).JobWorker.start(options);
}
