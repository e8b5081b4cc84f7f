import type { JobKind, RunStatus, TrainingRun } from '../contract/index.ts';
import type { Clock } from './clock.ts';
import { notFound } from './errors.ts';
import type { Sql } from './sql.ts';

export const RUN_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const satisfies readonly RunStatus[];

export function isFinished(status: RunStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

export const JOB_KINDS = ['training', 'scoring', 'explaining'] as const satisfies readonly JobKind[];

/**
 * A run of any kind of job (the table keeps its first name, training_runs): a training run has a
 * project and no params; a scoring or re-explanation job has its params (JSON) and a project when
 * its images are a project's.
 */
export interface RunRecord extends Omit<TrainingRun<number>, 'projectId'> {
  kind: JobKind;
  projectId: number | null;
  params: unknown;
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
  kind: JobKind;
  project_id: number | null;
  params: string | null;
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

function placeholders(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}

function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    kind: row.kind,
    projectId: row.project_id,
    params: row.params === null ? null : JSON.parse(row.params),
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
 * The runs of every kind of job. Every transition names the states it may leave, so a late report from a
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

  /** A scoring or re-explanation job, queued. */
  async createJob(kind: Exclude<JobKind, 'training'>, params: unknown, projectId: number | null, createdBy: number): Promise<RunRecord> {
    const sql = "INSERT INTO training_runs (kind, project_id, params, status, created_by, created_at) VALUES (?, ?, ?, 'queued', ?, ?) RETURNING id";
    const row = await this.db.get<{ id: number }>(sql, [kind, projectId, JSON.stringify(params), createdBy, this.clock()]);
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

  /** The runs of these kinds (default: training), newest first. */
  async list(kinds: readonly JobKind[] = ['training']): Promise<RunRecord[]> {
    return (await this.db.all<RunRow>(`SELECT * FROM training_runs WHERE kind IN (${placeholders(kinds)}) ORDER BY id DESC`, kinds)).map(toRun);
  }

  /** The oldest queued run of these kinds, next in line. */
  async nextQueued(kinds: readonly JobKind[] = JOB_KINDS): Promise<RunRecord | null> {
    if (kinds.length === 0) return null;
    const row = await this.db.get<RunRow>(`SELECT * FROM training_runs WHERE status = 'queued' AND kind IN (${placeholders(kinds)}) ORDER BY id LIMIT 1`, kinds);
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

  /** A scoring or re-explanation job ends: its results are in their own tables. */
  async finish(id: number, runner: Runner): Promise<boolean> {
    const sql = "UPDATE training_runs SET status = 'completed', finished_at = ? WHERE id = ? AND status = 'running' AND runner = ?";
    return (await this.db.run(sql, [this.clock(), id, runner])) === 1;
  }

  /** Fails a queued or running run; given a `runner`, only the run that runner runs (not one handed back to the queue since). */
  async fail(id: number, error: string, runner?: Runner): Promise<boolean> {
    const sql =
      runner === undefined
        ? "UPDATE training_runs SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status IN ('queued', 'running')"
        : "UPDATE training_runs SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status = 'running' AND runner = ?";
    return (await this.db.run(sql, runner === undefined ? [error, this.clock(), id] : [error, this.clock(), id, runner])) === 1;
  }

  /** running → queued (a worker stopping hands its run back to the queue); false unless `runner` runs it. */
  async requeue(id: number, runner: Runner): Promise<boolean> {
    const sql = "UPDATE training_runs SET status = 'queued', runner = NULL, progress = NULL, started_at = NULL WHERE id = ? AND status = 'running' AND runner = ?";
    return (await this.db.run(sql, [id, runner])) === 1;
  }

  async cancel(id: number): Promise<boolean> {
    return (await this.db.run("UPDATE training_runs SET status = 'cancelled', finished_at = ? WHERE id = ? AND status IN ('queued', 'running')", [this.clock(), id])) === 1;
  }

  /** Training runs that `isGone` says were left running by a process that can no longer finish them: marked failed. Returns how many. */
  async failInterrupted(reason: string, isGone: (runner: Runner | null) => boolean): Promise<number> {
    let failed = 0;
    for (const run of await this.withStatus('running')) {
      if (run.kind !== 'training' || !isGone(run.runner)) continue;
      const sql = "UPDATE training_runs SET status = 'failed', error = ?, finished_at = ? WHERE id = ? AND status = 'running' AND runner IS NOT DISTINCT FROM ?";
      failed += await this.db.run(sql, [reason, this.clock(), run.id, run.runner]);
    }
    return failed;
  }

  /**
   * Scoring and re-explanation jobs that `isGone` says were left running by a process that can no
   * longer finish them: queued again (they go on from their recorded results). Returns how many.
   */
  async requeueInterrupted(isGone: (runner: Runner | null) => boolean): Promise<number> {
    let requeued = 0;
    for (const run of await this.withStatus('running')) {
      if (run.kind === 'training' || !isGone(run.runner)) continue;
      const sql = "UPDATE training_runs SET status = 'queued', runner = NULL, progress = NULL, started_at = NULL WHERE id = ? AND status = 'running' AND runner IS NOT DISTINCT FROM ?";
      requeued += await this.db.run(sql, [run.id, run.runner]);
    }
    return requeued;
  }
}
