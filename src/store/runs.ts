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

/**
 * Which process runs (or last ran) a run, e.g. "server host-1 pid 4242" or "worker host-2 pid 17":
 * only that runner may record the run's progress and end, so a worker presumed dead that wakes up
 * cannot overwrite the run its successor took over.
 */
export type Runner = string;

interface RunRow {
  id: number;
  project_id: number;
  status: RunStatus;
  progress: string | null;
  bundle_path: string | null;
  error: string | null;
  model_id: number | null;
  runner: string | null;
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
    runner: row.runner,
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

  /** The runs in a status, oldest first. */
  async withStatus(status: RunStatus): Promise<RunRecord[]> {
    return (await this.db.all<RunRow>('SELECT * FROM training_runs WHERE status = ? ORDER BY id', [status])).map(toRun);
  }

  /**
   * queued → running by `runner`; false when the run was no longer queued (e.g. cancelled meanwhile).
   * With `takeOver`, a run another runner left running is taken too (a queue handing a dead
   * worker's job to another): it starts again, its old progress cleared.
   */
  async markRunning(id: number, runner: Runner, takeOver = false): Promise<boolean> {
    const from = takeOver ? "('queued', 'running')" : "('queued')";
    const sql = `UPDATE training_runs SET status = 'running', runner = ?, progress = NULL, started_at = ? WHERE id = ? AND status IN ${from}`;
    return (await this.db.run(sql, [runner, this.clock(), id])) === 1;
  }

  /** Only while `runner` runs it; false otherwise (ended, cancelled, or taken over). */
  async setProgress(id: number, progress: unknown, runner: Runner): Promise<boolean> {
    const sql = "UPDATE training_runs SET progress = ? WHERE id = ? AND status = 'running' AND runner = ?";
    return (await this.db.run(sql, [JSON.stringify(progress), id, runner])) === 1;
  }

  async complete(id: number, bundlePath: string, modelId: number | null, runner: Runner): Promise<boolean> {
    const sql = "UPDATE training_runs SET status = 'completed', bundle_path = ?, model_id = ?, finished_at = ? WHERE id = ? AND status = 'running' AND runner = ?";
    return (await this.db.run(sql, [bundlePath, modelId, this.clock(), id, runner])) === 1;
  }

  /** Fails a queued run, or a running one (only if `runner` runs it, when given). */
  async fail(id: number, error: string, runner?: Runner): Promise<boolean> {
    const sql = "UPDATE training_runs SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND (status = 'queued' OR (status = 'running' AND (CAST(? AS TEXT) IS NULL OR runner = ?)))";
    return (await this.db.run(sql, [error, this.clock(), id, runner ?? null, runner ?? null])) === 1;
  }

  /** running → queued (a worker stopping hands its run back to the queue); false unless `runner` runs it. */
  async requeue(id: number, runner: Runner): Promise<boolean> {
    const sql = "UPDATE training_runs SET status = 'queued', runner = NULL, progress = NULL, started_at = NULL WHERE id = ? AND status = 'running' AND runner = ?";
    return (await this.db.run(sql, [id, runner])) === 1;
  }

  async cancel(id: number): Promise<boolean> {
    return (await this.db.run("UPDATE training_runs SET status = 'cancelled', finished_at = ? WHERE id = ? AND status IN ('queued', 'running')", [this.clock(), id])) === 1;
  }

  /** Runs that `isGone` says were left running by a process that can no longer finish them: marked failed. Returns how many. */
  async failInterrupted(reason: string, isGone: (runner: Runner | null) => boolean): Promise<number> {
    let failed = 0;
    for (const run of await this.withStatus('running')) {
      if (!isGone(run.runner)) continue;
      const sql = "UPDATE training_runs SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status = 'running' AND runner IS NOT DISTINCT FROM ?";
      failed += await this.db.run(sql, [reason, this.clock(), run.id, run.runner]);
    }
    return failed;
  }
}
