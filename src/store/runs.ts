import type { RunStatus, TrainingRun } from '../contract/index.ts';
import type { Clock } from './clock.ts';
import { notFound } from './errors.ts';
import type { Sql } from './sql.ts';

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
    private readonly db: Sql,
    private readonly clock: Clock,
  ) {}

  async create(projectId: number, createdBy: number): Promise<RunRecord> {
    const row = await this.db.get<{ id: number }>("INSERT INTO training_runs (project_id, status, created_by, created_at) VALUES (?, 'queued', ?, ?) RETURNING id", [
      projectId,
      createdBy,
      this.clock(),
    ]);
    return this.require(row!.id);
  }

  async get(id: number): Promise<RunRecord | null> {
    const row = await this.db.get<RunRow>('SELECT * FROM training_runs WHERE id = ?', [id]);
    return row ? toRun(row) : null;
  }

  async require(id: number): Promise<RunRecord> {
    const run = await this.get(id);
    if (!run) throw notFound(`no training run with id ${id}`);
    return run;
  }

  /** Newest first. */
  async list(): Promise<RunRecord[]> {
    return (await this.db.all<RunRow>('SELECT * FROM training_runs ORDER BY id DESC')).map(toRun);
  }

  /** The oldest queued run, next in line to train. */
  async nextQueued(): Promise<RunRecord | null> {
    const row = await this.db.get<RunRow>("SELECT * FROM training_runs WHERE status = 'queued' ORDER BY id LIMIT 1");
    return row ? toRun(row) : null;
  }

  /** queued → running; false when the run was no longer queued (e.g. cancelled meanwhile). */
  async markRunning(id: number): Promise<boolean> {
    return (await this.db.run("UPDATE training_runs SET status = 'running', started_at = ? WHERE id = ? AND status = 'queued'", [this.clock(), id])) === 1;
  }

  async setProgress(id: number, progress: unknown): Promise<boolean> {
    return (await this.db.run("UPDATE training_runs SET progress = ? WHERE id = ? AND status = 'running'", [JSON.stringify(progress), id])) === 1;
  }

  async complete(id: number, bundlePath: string, modelId: number | null): Promise<boolean> {
    const sql = "UPDATE training_runs SET status = 'completed', bundle_path = ?, model_id = ?, finished_at = ? WHERE id = ? AND status = 'running'";
    return (await this.db.run(sql, [bundlePath, modelId, this.clock(), id])) === 1;
  }

  async fail(id: number, error: string): Promise<boolean> {
    const sql = "UPDATE training_runs SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status IN ('queued', 'running')";
    return (await this.db.run(sql, [error, this.clock(), id])) === 1;
  }

  async cancel(id: number): Promise<boolean> {
    return (await this.db.run("UPDATE training_runs SET status = 'cancelled', finished_at = ? WHERE id = ? AND status IN ('queued', 'running')", [this.clock(), id])) === 1;
  }

  /** Runs a previous process left running can never finish: mark them failed. Returns how many. */
  failInterrupted(reason: string): Promise<number> {
    return this.db.run("UPDATE training_runs SET status = 'failed', error = ?, finished_at = ? WHERE status = 'running'", [reason, this.clock()]);
  }
}
