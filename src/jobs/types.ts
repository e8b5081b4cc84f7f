import type { JobKind, QueuedJob } from '../contract/index.ts';
import type { RunRecord, Runner, Store } from '../store/index.ts';
import type { JobModels } from './models.ts';

/** What a trainer reports while it runs (JSON-serialisable), e.g. { epoch: 3, loss: 0.41 }. */
export type TrainingProgress = Record<string, unknown>;

/** Which run a training is: a trainer that keeps one folder per run resumes an attempt of the same run from its checkpoint. */
export interface TrainingRunRef {
  runId: number;
}

export interface Trainer {
  /**
   * Trains on the manifest (CSV: path,label,patient_id,specimen,annotators,agreement; paths
   * relative to the manifest's folder) and resolves with the saved bundle's folder. Should stop
   * and reject soon after `signal` aborts.
   */
  start(projectId: number, manifestCsvPath: string, onProgress: (progress: TrainingProgress) => void, signal: AbortSignal, run?: TrainingRunRef): Promise<{ bundlePath: string }>;
}

/** Where jobs log (pino's and Fastify's loggers fit). */
export interface JobLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export type RunListener = (run: RunRecord) => void;

/** What runs the jobs of a queue or worker: a trainer for training runs, job models for scoring and re-explanation. */
export interface JobMeans {
  trainer?: Trainer;
  models?: JobModels;
}

/** What a job runs with. */
export interface JobContext extends JobMeans {
  store: Store;
  /** Who runs it: only this runner's writes to the run count. */
  runner: Runner;
  log: JobLog;
  /** Tells the run's subscribers that its row changed. */
  announce(runId: number): Promise<void>;
}

/**
 * How a job ended for the process running it: recorded in the run ('ended': completed, failed or
 * cancelled) or left to the caller ('stopped': this process is shutting down; the run is still
 * marked running by it).
 */
export type JobOutcome = 'ended' | 'stopped';

/**
 * Where long jobs (training, scoring, re-explanation) go: the local queue (this process runs them,
 * one at a time) or BullMQ on Redis (workers anywhere take them). The job's row in the database is the truth: a job is submitted
 * after its row is written, and whoever runs it records its progress and end there.
 */
export interface JobQueue {
  /** Whether a submitted job of this kind will run: not for a local queue without the means (a trainer, job models). */
  runs(kind: JobKind): boolean;
  /** Takes up what a restart left: queued runs are queued (again), runs this host's earlier process left running are failed (local queue). */
  start(): Promise<void>;
  /** Queues a job whose run is already in the database, queued. */
  submit(job: QueuedJob): Promise<void>;
  /** Stops the job wherever it runs; its run is already marked cancelled. */
  cancel(job: QueuedJob): Promise<void>;
  /** Every change of the run, whichever process runs it, until the returned function is called. */
  subscribe(runId: number, listener: RunListener): () => void;
  /** Tells the run's subscribers (on every server) that its row changed. */
  announce(runId: number): Promise<void>;
  close(): Promise<void>;
}
