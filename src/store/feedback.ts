import type { Database } from 'better-sqlite3';
import type { FeedbackVerdict } from '../contract/index.ts';
import type { Clock } from './clock.ts';
import { invalid } from './errors.ts';
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

/**
 * Verdicts on predictions, append-only like the audit trail itself (SQLite triggers abort any
 * UPDATE or DELETE): a changed mind or a reviewer's correction is a new row with its author and
 * time, so every verdict ever given stays on record.
 */
export class FeedbackLog {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  add(predictionId: string, userId: number, verdict: FeedbackVerdict, label?: string | null, device?: DeviceVerdict): void {
    if (!(FEEDBACK_VERDICTS as readonly string[]).includes(verdict)) throw invalid(`verdict must be one of ${FEEDBACK_VERDICTS.join(', ')}`);
    const correctedLabel = verdict === 'correct' ? checkText('label', label ?? '', MAX_LABEL) : null;
    if (verdict === 'agree' && label) throw invalid("a label is only given with the verdict 'correct'");
    this.db
      .prepare('INSERT INTO prediction_feedback (prediction_id, user_id, verdict, label, created_at, made_at, idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(predictionId, userId, verdict, correctedLabel, this.clock(), device?.madeAt ?? null, device?.idempotencyKey ?? null);
  }

  /** The prediction and author of the verdict synced with this idempotency key, if one was. */
  byIdempotencyKey(key: string): { predictionId: string; userId: number } | null {
    const row = this.db.prepare('SELECT prediction_id, user_id FROM prediction_feedback WHERE idempotency_key = ?').get(key) as { prediction_id: string; user_id: number } | undefined;
    return row ? { predictionId: row.prediction_id, userId: row.user_id } : null;
  }

  /** Every verdict on each of these predictions, oldest first. */
  historyOf(predictionIds: readonly string[]): Map<string, Feedback[]> {
    const byPrediction = new Map<string, Feedback[]>(predictionIds.map((id) => [id, []]));
    if (predictionIds.length === 0) return byPrediction;
    const rows = this.db
      .prepare(
        `SELECT f.prediction_id, f.verdict, f.label, f.user_id, u.username, f.created_at, f.made_at
         FROM prediction_feedback f JOIN users u ON u.id = f.user_id
         WHERE f.prediction_id IN (SELECT value FROM json_each(?)) ORDER BY f.id`,
      )
      .all(JSON.stringify(predictionIds)) as FeedbackRow[];
    for (const row of rows) {
      byPrediction.get(row.prediction_id)?.push({ verdict: row.verdict, label: row.label, userId: row.user_id, username: row.username, createdAt: row.created_at, ...(row.made_at === null ? {} : { madeAt: row.made_at }) });
    }
    return byPrediction;
  }
}
