import type { Database } from 'better-sqlite3';
import type { RunStatus, TrainingRun } from '../contract/index.ts';
import type { Clock } from './clock.ts';
import { notFound } from './errors.ts';

export const RUN_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const satisfies readonly RunStatus[];

export function isFinished(status: RunStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

export interface RunRecord extends TrainingRun<number> {
  createdBy: number | null;
}

interface RunRow {
  id: number;
  project_id: number;
  status: RunStatus;
  progress: string | null;
  bundle_path: string | null;
  error: string | null;
  model_id: number | null;
  created_by: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    projectId: row.project_id,
    status: row.status,
    progress: row.progress === null ? null : JSON.parse(row.progress),
    bundlePath: row.bundle_path,
    error: row.error,
    modelId: row.model_id,
    createdBy: row.created_by,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/**
 * Training runs. Every transition names the states it may leave, so a late report from a
 * cancelled run's trainer cannot overwrite the cancellation.
 */
export class Runs {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  create(projectId: number, createdBy: number): RunRecord {
    const result = this.db
      .prepare("INSERT INTO training_runs (project_id, status, created_by, created_at) VALUES (?, 'queued', ?, ?)")
      .run(projectId, createdBy, this.clock());
    return this.require(Number(result.lastInsertRowid));
  }

  get(id: number): RunRecord | null {
    const row = this.db.prepare('SELECT * FROM training_runs WHERE id = ?').get(id) as RunRow | undefined;
    return row ? toRun(row) : null;
  }

  require(id: number): RunRecord {
    const run = this.get(id);
    if (!run) throw notFound(`no training run with id ${id}`);
    return run;
  }

  /** Newest first. */
  list(): RunRecord[] {
    return (this.db.prepare('SELECT * FROM training_runs ORDER BY id DESC').all() as RunRow[]).map(toRun);
  }

  /** The oldest queued run, next in line to train. */
  nextQueued(): RunRecord | null {
    const row = this.db.prepare("SELECT * FROM training_runs WHERE status = 'queued' ORDER BY id LIMIT 1").get() as RunRow | undefined;
    return row ? toRun(row) : null;
  }

  /** queued → running; false when the run was no longer queued (e.g. cancelled meanwhile). */
  markRunning(id: number): boolean {
    return this.db.prepare("UPDATE training_runs SET status = 'running', started_at = ? WHERE id = ? AND status = 'queued'").run(this.clock(), id).changes === 1;
  }

  setProgress(id: number, progress: unknown): boolean {
    return this.db.prepare("UPDATE training_runs SET progress = ? WHERE id = ? AND status = 'running'").run(JSON.stringify(progress), id).changes === 1;
  }

  complete(id: number, bundlePath: string, modelId: number | null): boolean {
    return (
      this.db
        .prepare("UPDATE training_runs SET status = 'completed', bundle_path = ?, model_id = ?, finished_at = ? WHERE id = ? AND status = 'running'")
        .run(bundlePath, modelId, this.clock(), id).changes === 1
    );
  }

  fail(id: number, error: string): boolean {
    return (
      this.db
        .prepare("UPDATE training_runs SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status IN ('queued', 'running')")
        .run(error, this.clock(), id).changes === 1
    );
  }

  cancel(id: number): boolean {
    return (
      this.db
        .prepare("UPDATE training_runs SET status = 'cancelled', finished_at = ? WHERE id = ? AND status IN ('queued', 'running')")
        .run(this.clock(), id).changes === 1
    );
  }

  /** Runs a previous process left running can never finish: mark them failed. Returns how many. */
  failInterrupted(reason: string): number {
    return this.db
      .prepare("UPDATE training_runs SET status = 'failed', error = ?, finished_at = ? WHERE status = 'running'")
      .run(reason, this.clock()).changes;
  }
}
