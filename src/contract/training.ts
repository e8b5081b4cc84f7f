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
  createdAt: Time;
  startedAt: Time | null;
  finishedAt: Time | null;
}
