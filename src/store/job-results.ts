import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BatchScoreOutput, ClassProbability, ExplainingSummary, ExplainMethod, Reexplanation, Refusal, ScoringSummary } from '../contract/index.ts';
import { writeFileAtomically } from '../io/index.ts';
import type { Clock } from './clock.ts';
import { toCsv } from './csv.ts';
import type { Runner } from './runs.ts';
import type { Sql } from './sql.ts';

/** Folder of the data folder where re-explanations' heatmaps are kept, apart from the heatmaps clinicians were shown. */
const REEXPLANATIONS_FOLDER = 'reexplanations';

/** Only while `runner` runs the job: a worker presumed dead that wakes up adds nothing to the job its successor took over. */
const WHILE_RUNNING = "WHERE EXISTS (SELECT 1 FROM training_runs WHERE id = ? AND status = 'running' AND runner = ?)";

export interface BatchScore {
  imageSha256: string;
  /** The uploader's file name in the project, for reference. */
  originalName: string | null;
  modelId: number;
  modelVersion: string;
  output: BatchScoreOutput;
  runner: Runner;
  createdAt: number;
}

export interface NewBatchScore {
  imageSha256: string;
  modelId: number;
  modelVersion: string;
  output: BatchScoreOutput;
}

/** What recording an item's result did: written, written before (by this job's earlier runner), or refused (the job is not this runner's any more). */
export type RecordOutcome = 'recorded' | 'duplicate' | 'refused';

interface BatchScoreRow {
  image_sha256: string;
  original_name: string | null;
  model_id: number;
  model_version: string;
  output: string;
  runner: string;
  created_at: number;
}

/** Tells a duplicate (ON CONFLICT DO NOTHING wrote nothing) from a job that is no longer this runner's. */
async function outcomeOf(db: Sql, changed: number, runId: number, runner: Runner): Promise<RecordOutcome> {
  if (changed === 1) return 'recorded';
  const running = await db.get<{ id: number }>(`SELECT id FROM training_runs WHERE id = ? AND status = 'running' AND runner = ?`, [runId, runner]);
  return running ? 'duplicate' : 'refused';
}

function scoringSummaryOf(outputs: readonly BatchScoreOutput[]): ScoringSummary {
  const summary: ScoringSummary = { scored: outputs.length, perClass: {}, uncertain: 0, refused: 0, unread: 0, failed: 0 };
  for (const output of outputs) {
    if ('refusal' in output) summary.refused += 1;
    else if ('unread' in output) summary.unread += 1;
    else if ('error' in output) summary.failed += 1;
    else if (output.uncertain) summary.uncertain += 1;
    else summary.perClass[output.top.label] = (summary.perClass[output.top.label] ?? 0) + 1;
  }
  return summary;
}

/** One line of the CSV per result: what it was ('answer', 'uncertain', 'refused', 'unread', 'error'), the class or reason. */
function scoreCsvCells(output: BatchScoreOutput): [string, string | null, number | null, string | null] {
  if ('refusal' in output) return ['refused', null, null, `${output.refusal.code}: ${output.refusal.reason}`];
  if ('unread' in output) return ['unread', null, null, output.unread.reasons.join('; ') || 'no tile in the field of view'];
  if ('error' in output) return ['error', null, null, output.error];
  const probability = output.field?.multiple ? null : output.top.probability;
  return [output.uncertain ? 'uncertain' : 'answer', output.top.label, probability, output.field?.multiple ? 'several morphotypes' : null];
}

/**
 * The results of scoring jobs: one row per image and job, with the model that scored it. Not audit
 * rows (no clinician was shown them), but append-only all the same (triggers refuse UPDATE and DELETE).
 */
export class BatchScores {
  constructor(
    private readonly db: Sql,
    private readonly clock: Clock,
  ) {}

  async record(runId: number, runner: Runner, score: NewBatchScore): Promise<RecordOutcome> {
    const sql = `INSERT INTO batch_scores (run_id, image_sha256, model_id, model_version, output, runner, created_at)
      SELECT ?, ?, ?, ?, ?, ?, ? ${WHILE_RUNNING} ON CONFLICT (run_id, image_sha256) DO NOTHING`;
    const { imageSha256, modelId, modelVersion, output } = score;
    const changed = await this.db.run(sql, [runId, imageSha256, modelId, modelVersion, JSON.stringify(output), runner, this.clock(), runId, runner]);
    return outcomeOf(this.db, changed, runId, runner);
  }

  /** The images the job has scored (by whichever runner). */
  async scoredImages(runId: number): Promise<Set<string>> {
    const rows = await this.db.all<{ image_sha256: string }>('SELECT image_sha256 FROM batch_scores WHERE run_id = ?', [runId]);
    return new Set(rows.map((row) => row.image_sha256));
  }

  /** In the order scored, with the image's name in the job's project when it has one. */
  async list(runId: number): Promise<BatchScore[]> {
    const rows = await this.db.all<BatchScoreRow>(
      `SELECT s.image_sha256, pi.original_name, s.model_id, s.model_version, s.output, s.runner, s.created_at
       FROM batch_scores s
       JOIN training_runs r ON r.id = s.run_id
       LEFT JOIN project_images pi ON pi.project_id = r.project_id AND pi.image_sha256 = s.image_sha256
       WHERE s.run_id = ? ORDER BY s.id`,
      [runId],
    );
    return rows.map((row) => ({
      imageSha256: row.image_sha256,
      originalName: row.original_name,
      modelId: row.model_id,
      modelVersion: row.model_version,
      output: JSON.parse(row.output) as BatchScoreOutput,
      runner: row.runner,
      createdAt: row.created_at,
    }));
  }

  async summary(runId: number): Promise<ScoringSummary> {
    const rows = await this.db.all<{ output: string }>('SELECT output FROM batch_scores WHERE run_id = ?', [runId]);
    return scoringSummaryOf(rows.map((row) => JSON.parse(row.output) as BatchScoreOutput));
  }

  /** The job's results for spreadsheets (formulas defused). */
  async csv(runId: number): Promise<string> {
    const header = ['image_sha256', 'original_name', 'result', 'label', 'probability', 'note', 'model_id', 'model_version', 'scored_at'];
    const rows = (await this.list(runId)).map((score) => {
      const [result, label, probability, note] = scoreCsvCells(score.output);
      return [score.imageSha256, score.originalName, result, label, probability, note, score.modelId, score.modelVersion, new Date(score.createdAt).toISOString()];
    });
    return toCsv(header, rows, { guardFormulas: true });
  }
}

/** What a re-explanation found for one item: the class explained, a refusal, or an error; the heatmap PNG with the class. */
export type ReexplanationOutput = { target: ClassProbability; heatmapPng: Buffer } | { refusal: Refusal } | { error: string };

export interface NewReexplanation {
  imageSha256: string;
  predictionId: string | null;
  modelId: number;
  modelVersion: string;
  method: ExplainMethod;
  output: ReexplanationOutput;
}

interface ReexplanationRow {
  id: number;
  run_id: number;
  image_sha256: string;
  prediction_id: string | null;
  model_id: number;
  model_version: string;
  method: ExplainMethod;
  output: string;
  heatmap: number;
  created_at: number;
}

function toReexplanation(row: ReexplanationRow): Reexplanation<number> {
  const output = JSON.parse(row.output) as { target?: ClassProbability; refusal?: Refusal; error?: string };
  return {
    id: row.id,
    jobId: row.run_id,
    imageSha256: row.image_sha256,
    predictionId: row.prediction_id,
    modelId: row.model_id,
    modelVersion: row.model_version,
    method: row.method,
    target: output.target ?? null,
    refusal: output.refusal ?? null,
    error: output.error ?? null,
    hasHeatmap: row.heatmap === 1,
    createdAt: row.created_at,
  };
}

/** The item a re-explanation is of within its job: the prediction when it explains one, else the image. */
export function reexplanationItem(item: { imageSha256: string; predictionId: string | null }): string {
  return item.predictionId ?? item.imageSha256;
}

/**
 * The results of re-explanation jobs: one row per item and job, append-only, with the heatmap in
 * reexplanations/JOB/ITEM.RUNNER.png of the data folder: beside, never in place of, the heatmap a
 * clinician was shown (heatmaps/). The file is named by the runner that wrote it, so a worker
 * presumed dead that wakes up cannot replace the heatmap its successor recorded.
 */
export class Reexplanations {
  constructor(
    private readonly db: Sql,
    private readonly dataDir: string,
    private readonly clock: Clock,
  ) {}

  /** The heatmap is written first, so a row never names a missing file; one whose row was not written (the job is not this runner's, or the item was done) is removed. */
  async record(runId: number, runner: Runner, explained: NewReexplanation): Promise<RecordOutcome> {
    const item = reexplanationItem(explained);
    const { output } = explained;
    const heatmap = 'heatmapPng' in output;
    const path = this.heatmapPathOf(runId, item, runner);
    if (heatmap) await writeFileAtomically(path, output.heatmapPng);
    const stored = heatmap ? { target: output.target } : output;
    const sql = `INSERT INTO reexplanations (run_id, item, image_sha256, prediction_id, model_id, model_version, method, output, heatmap, runner, created_at)
      SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? ${WHILE_RUNNING} ON CONFLICT (run_id, item) DO NOTHING`;
    const { imageSha256, predictionId, modelId, modelVersion, method } = explained;
    const params = [runId, item, imageSha256, predictionId, modelId, modelVersion, method, JSON.stringify(stored), heatmap ? 1 : 0, runner, this.clock(), runId, runner];
    const outcome = await outcomeOf(this.db, await this.db.run(sql, params), runId, runner);
    if (heatmap && outcome !== 'recorded') {
      const ours = await this.db.get<{ id: number }>('SELECT id FROM reexplanations WHERE run_id = ? AND item = ? AND runner = ?', [runId, item, runner]);
      if (!ours) await rm(path, { force: true });
    }
    return outcome;
  }

  /** The items (predictions or images) the job has explained. */
  async doneItems(runId: number): Promise<Set<string>> {
    const rows = await this.db.all<{ item: string }>('SELECT item FROM reexplanations WHERE run_id = ?', [runId]);
    return new Set(rows.map((row) => row.item));
  }

  async list(runId: number): Promise<Reexplanation<number>[]> {
    return (await this.db.all<ReexplanationRow>('SELECT * FROM reexplanations WHERE run_id = ? ORDER BY id', [runId])).map(toReexplanation);
  }

  async summary(runId: number): Promise<ExplainingSummary> {
    // a row has a heatmap exactly when it explained a class; only the others' output tells a refusal from a failure
    const rows = await this.db.all<{ heatmap: number; output: string }>('SELECT heatmap, output FROM reexplanations WHERE run_id = ?', [runId]);
    const summary: ExplainingSummary = { explained: 0, refused: 0, failed: 0 };
    for (const { heatmap, output } of rows) {
      if (heatmap === 1) summary.explained += 1;
      else if ((JSON.parse(output) as { refusal?: Refusal }).refusal) summary.refused += 1;
      else summary.failed += 1;
    }
    return summary;
  }

  /** The heatmap file of a recorded explanation of this job; null when there is none. */
  async heatmapPathOfRecorded(id: number, jobId: number): Promise<string | null> {
    const row = await this.db.get<{ run_id: number; item: string; runner: string }>('SELECT run_id, item, runner FROM reexplanations WHERE id = ? AND run_id = ? AND heatmap = 1', [id, jobId]);
    return row ? this.heatmapPathOf(row.run_id, row.item, row.runner) : null;
  }

  heatmapPathOf(runId: number, item: string, runner: Runner): string {
    const writer = createHash('sha256').update(runner).digest('hex').slice(0, 12);
    return join(this.dataDir, REEXPLANATIONS_FOLDER, String(runId), `${item}.${writer}.png`);
  }
}
