import type { JobKind } from './jobs.ts';

export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

/** A training run; its times are ISO strings in the API and milliseconds since the epoch in the store. */
export interface TrainingRun<Time = string> {
  id: number;
  projectId: number;
  status: RunStatus;
  /** The trainer's latest progress report (JSON), e.g. epoch and loss. */
  progress: unknown;
  bundlePath: string | null;
  error: string | null;
  /** The model registered from this run's bundle, once completed. */
  modelId: number | null;
  /** The server or worker running it (or that last ran it), e.g. "worker host-2 pid 17"; null while queued. */
  runner: string | null;
  createdAt: Time;
  startedAt: Time | null;
  finishedAt: Time | null;
}

/**
 * A job of the queue (local or BullMQ on Redis): only what names the work, the rest is in the
 * database. Every kind has its row in the runs table (`runId`), which says its kind too.
 */
export type QueuedJob = { kind: JobKind; runId: number };

/** Whether an operating point reached its target sensitivity on the test set ('clearly missed': its whole 95% interval below; no positives: unknown). */
export type TargetVerdict = 'met' | 'missed' | 'clearly missed' | 'unknown';

/** A class's operating point chosen on validation, as it did on the test set. */
export interface OperatingPointOutcome {
  class: string;
  threshold: number;
  targetSensitivity: number;
  /** On the test set; null without test images of the class. */
  sensitivity: number | null;
  /** 95% Wilson interval of the sensitivity. */
  ci95: [number, number] | null;
  /** Test images of the class. */
  positives: number;
  verdict: TargetVerdict;
}

/**
 * A model bundle's test figures (`metrics.test` of its metadata and of GET /api/models): with their
 * 95% intervals, or none when the test set is too small to give one (`tooFew` says why).
 */
export interface TestSummary {
  images: number;
  patients: number | null;
  /** Why the figures are withheld (null when they are given), e.g. "only 2 test images (at least 30 are needed)". */
  tooFew: string | null;
  accuracy: number | null;
  balancedAccuracy: number | null;
  macroF1: number | null;
  macroAuc: number | null;
  expectedCalibrationError: number | null;
  brierScore: number | null;
  /** 95% intervals of the overall figures above. */
  intervals: Partial<Record<'accuracy' | 'balancedAccuracy' | 'macroF1' | 'macroAuc', [number | null, number | null]>>;
  operatingPoints: OperatingPointOutcome[];
}
