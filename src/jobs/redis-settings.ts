import type { QueuedJob } from '../contract/index.ts';

export interface QueueTimings {
  /** How long a worker's hold on a job lasts unless renewed (BullMQ's lockDuration; default 30 s). */
  lockDurationMs: number;
  /** How often workers look for jobs whose worker stopped renewing its hold (default 30 s). */
  stalledIntervalMs: number;
  /** How many times a job whose worker died is handed to another before it fails (default 2). */
  maxStalledCount: number;
}

export const DEFAULT_QUEUE_TIMINGS: QueueTimings = { lockDurationMs: 30_000, stalledIntervalMs: 30_000, maxStalledCount: 2 };

export interface RedisQueueOptions {
  /** redis://host:port[/db], rediss://... or unix:///path/to/redis.sock */
  url: string;
  /** Namespace of the queue's keys and channels in Redis (default DEFAULT_PREFIX, "gramlens"): deployments sharing one Redis each need their own. */
  prefix?: string;
  timings?: Partial<QueueTimings>;
}

/** The namespace of the queue's keys and channels when none is given. */
export const DEFAULT_PREFIX = 'gramlens';

// 'jobs-v2' since schema 6 added scoring and re-explanation jobs: a worker of an older version,
// which would train any job it took, finds its old queue empty instead of taking these.
export const QUEUE_NAME = 'jobs-v2';

/** The Redis channels beside the queue: a run's row changed (progress, end), a run was cancelled. */
export function channelsOf(prefix: string = DEFAULT_PREFIX): { runChanged: string; cancel: string } {
  return { runChanged: `${prefix}:run-changed`, cancel: `${prefix}:cancel` };
}

/** One BullMQ job per run: adding a run's job again while it is waiting or active adds nothing. */
export function jobIdOf(job: QueuedJob): string {
  return `${job.kind}-${job.runId}`;
}

export function runIdOfJobId(jobId: string | undefined): number | null {
  const match = /^(?:training|scoring|explaining)-(\d+)$/.exec(jobId ?? '');
  return match ? Number(match[1]) : null;
}
