import type { FeedbackVerdict } from '../contract/index.ts';
import type { Clock } from './clock.ts';
import { invalid } from './errors.ts';
import type { Sql } from './sql.ts';
import { checkText } from './text.ts';

export const FEEDBACK_VERDICTS = ['agree', 'correct'] as const satisfies readonly FeedbackVerdict[];

export interface Feedback {
  verdict: FeedbackVerdict;
  /** The right label when the verdict is 'correct'. */
  label: string | null;
  userId: number;
  username: string;
  createdAt: number;
  /** Only for a verdict given offline on a device and synced later: the device's time (createdAt is when it arrived). */
  madeAt?: number;
}

/** A verdict given on a device while offline: its own idempotency key (a repeated sync adds nothing) and the device's time. */
export interface DeviceVerdict {
  idempotencyKey: string;
  madeAt: number;
}

interface FeedbackRow {
  prediction_id: string;
  verdict: FeedbackVerdict;
  label: string | null;
  user_id: number;
  username: string;
  created_at: number;
  made_at: number | null;
}

const MAX_LABEL = 200;
/** Well under both databases' limits on parameters per statement. */
const IDS_PER_QUERY = 500;

/**
 * Verdicts on predictions, append-only like the audit trail itself (database triggers refuse any
 * UPDATE or DELETE): a changed mind or a reviewer's correction is a new row with its author and
 * time, so every verdict ever given stays on record.
 */
export class FeedbackLog {
  constructor(
    private readonly db: Sql,
    private readonly clock: Clock,
  ) {}

  async add(predictionId: string, userId: number, verdict: FeedbackVerdict, label?: string | null, device?: DeviceVerdict): Promise<void> {
    if (!(FEEDBACK_VERDICTS as readonly string[]).includes(verdict)) throw invalid(`verdict must be one of ${FEEDBACK_VERDICTS.join(', ')}`);
    const correctedLabel = verdict === 'correct' ? checkText('label', label ?? '', MAX_LABEL) : null;
    if (verdict === 'agree' && label) throw invalid("a label is only given with the verdict 'correct'");
    await this.db.run('INSERT INTO prediction_feedback (prediction_id, user_id, verdict, label, created_at, made_at, idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      predictionId,
      userId,
      verdict,
      correctedLabel,
      this.clock(),
      device?.madeAt ?? null,
      device?.idempotencyKey ?? null,
    ]);
  }

  /** The prediction and author of the verdict synced with this idempotency key, if one was. */
  async byIdempotencyKey(key: string): Promise<{ predictionId: string; userId: number } | null> {
    const row = await this.db.get<{ prediction_id: string; user_id: number }>('SELECT prediction_id, user_id FROM prediction_feedback WHERE idempotency_key = ?', [key]);
    return row ? { predictionId: row.prediction_id, userId: row.user_id } : null;
  }

  /** Every verdict on each of these predictions, oldest first. */
  async historyOf(predictionIds: readonly string[]): Promise<Map<string, Feedback[]>> {
    const byPrediction = new Map<string, Feedback[]>(predictionIds.map((id) => [id, []]));
    for (let start = 0; start < predictionIds.length; start += IDS_PER_QUERY) {
      const ids = predictionIds.slice(start, start + IDS_PER_QUERY);
      const rows = await this.db.all<FeedbackRow>(
        `SELECT f.prediction_id, f.verdict, f.label, f.user_id, u.username, f.created_at, f.made_at
         FROM prediction_feedback f JOIN users u ON u.id = f.user_id
         WHERE f.prediction_id IN (${ids.map(() => '?').join(', ')}) ORDER BY f.id`,
        ids,
      );
      addRows(byPrediction, rows);
    }
    return byPrediction;
  }
}

function addRows(byPrediction: Map<string, Feedback[]>, rows: readonly FeedbackRow[]): void {
  for (const row of rows) {
    byPrediction.get(row.prediction_id)?.push({ verdict: row.verdict, label: row.label, userId: row.user_id, username: row.username, createdAt: row.created_at, ...(row.made_at === null ? {} : { madeAt: row.made_at }) });
  }
}
