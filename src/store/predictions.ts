import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FeedbackVerdict, OnDeviceMark } from '../contract/index.ts';
import { writeFileAtomically } from '../io/index.ts';
import type { Clock } from './clock.ts';
import { toCsv } from './csv.ts';
import { invalid, notFound, StoreError } from './errors.ts';
import { FeedbackLog, type DeviceVerdict, type Feedback } from './feedback.ts';
import { answerProbability, fieldEvidence, outputJson, readOutput, type PredictionOutput } from './prediction-output.ts';
import type { Sql } from './sql.ts';
import { checkText, optionalText } from './text.ts';

export type { AnsweredOutput, PredictionOutput, RefusedOutput, StoredFieldSummary } from './prediction-output.ts';

export interface NewPrediction {
  userId: number;
  imageSha256: string;
  modelId: number | null;
  modelVersion: string;
  output: PredictionOutput;
  /** Stored beside the audit row; its presence is recorded as heatmap_shown. None with a refusal. */
  heatmapPng: Uint8Array | null;
  /** A whole-field prediction's tile map, stored beside the heatmap. */
  tileMapPng?: Uint8Array | null;
  specimenType: string;
  caseId?: string | null;
  /** Made on the device (offline, synced later): its time, device and idempotency key. */
  onDevice?: OnDeviceMark<number>;
}

/** A synced record: created now, or already there from an earlier sync of the same idempotency key. */
export interface Synced {
  prediction: PredictionRecord;
  created: boolean;
}

export interface PredictionRecord {
  id: string;
  createdAt: number;
  userId: number;
  username: string;
  imageSha256: string;
  modelId: number | null;
  modelVersion: string;
  /** The registered model's name and version (readable, unlike modelVersion), while it is registered. */
  model: { name: string; version: string } | null;
  output: PredictionOutput;
  heatmapShown: boolean;
  specimenType: string;
  caseId: string | null;
  /** Made on the device and synced: createdAt is when the server received it, onDevice.madeAt the device's time. */
  onDevice: OnDeviceMark<number> | null;
  /** The latest verdict of the user who made the prediction, or null. */
  feedback: Feedback | null;
  /** Every verdict on the prediction by anyone (e.g. a reviewing admin), oldest first. */
  feedbackHistory: Feedback[];
}

export interface PredictionQuery {
  /** Only this user's predictions; all users' when omitted. */
  userId?: number;
  limit?: number;
  offset?: number;
}

interface PredictionRow {
  id: string;
  created_at: number;
  user_id: number;
  username: string;
  image_sha256: string;
  model_id: number | null;
  model_version: string;
  registered_name: string | null;
  registered_version: string | null;
  output: string;
  heatmap_shown: 0 | 1;
  specimen_type: string;
  case_id: string | null;
  on_device: 0 | 1;
  made_at: number | null;
  device: string | null;
  idempotency_key: string | null;
}

const MAX_TEXT = 200;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const SELECT = `
  SELECT p.*, u.username, m.name AS registered_name, m.version AS registered_version
  FROM predictions p
  JOIN users u ON u.id = p.user_id
  LEFT JOIN models m ON m.id = p.model_id`;

function feedbackEntryOf(entry: Feedback): { user: string; verdict: FeedbackVerdict; label: string | null; time: string } {
  return { user: entry.username, verdict: entry.verdict, label: entry.label, time: new Date(entry.createdAt).toISOString() };
}

function toPrediction(row: PredictionRow, feedbackHistory: Feedback[]): PredictionRecord {
  return {
    id: row.id,
    createdAt: row.created_at,
    userId: row.user_id,
    username: row.username,
    imageSha256: row.image_sha256,
    modelId: row.model_id,
    modelVersion: row.model_version,
    model: row.registered_name === null || row.registered_version === null ? null : { name: row.registered_name, version: row.registered_version },
    output: readOutput(row.output),
    heatmapShown: row.heatmap_shown === 1,
    specimenType: row.specimen_type,
    caseId: row.case_id,
    onDevice: row.on_device === 1 ? { madeAt: row.made_at!, device: row.device!, idempotencyKey: row.idempotency_key! } : null,
    feedback: feedbackHistory.filter((entry) => entry.userId === row.user_id).at(-1) ?? null,
    feedbackHistory,
  };
}

/**
 * The predictions audit trail. Rows are append-only (database triggers refuse any UPDATE or DELETE),
 * and so are the verdicts on them (FeedbackLog). A refusal (an image the model cannot read) is a
 * row too: its output holds the refusal and no class.
 */
export class Predictions {
  private readonly heatmapDir: string;
  private readonly feedbackLog: FeedbackLog;

  constructor(
    private readonly db: Sql,
    dataDir: string,
    private readonly clock: Clock,
  ) {
    this.feedbackLog = new FeedbackLog(db, clock);
    this.heatmapDir = join(dataDir, 'heatmaps');
    mkdirSync(this.heatmapDir, { recursive: true });
  }

  /** Writes the heatmap first, then the audit row, so no row ever points at a missing heatmap. */
  async record(prediction: NewPrediction): Promise<PredictionRecord> {
    const specimenType = checkText('specimenType', prediction.specimenType, MAX_TEXT);
    const caseId = optionalText('caseId', prediction.caseId, MAX_TEXT);
    const id = randomUUID();
    if (prediction.heatmapPng) await writeFileAtomically(this.heatmapPathOf(id), prediction.heatmapPng);
    if (prediction.tileMapPng) await writeFileAtomically(this.tileMapPathOf(id), prediction.tileMapPng);
    try {
      await this.insert(id, prediction, { specimenType, caseId, output: outputJson(prediction.output) });
    } catch (error) {
      if (prediction.heatmapPng) await rm(this.heatmapPathOf(id), { force: true });
      if (prediction.tileMapPng) await rm(this.tileMapPathOf(id), { force: true });
      throw error;
    }
    return this.require(id);
  }

  private async insert(id: string, prediction: NewPrediction, checked: { specimenType: string; caseId: string | null; output: string }): Promise<void> {
    await this.db.run(
      `INSERT INTO predictions (id, created_at, user_id, image_sha256, model_id, model_version, output, heatmap_shown, specimen_type, case_id, on_device, made_at, device, idempotency_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        this.clock(),
        prediction.userId,
        prediction.imageSha256,
        prediction.modelId,
        prediction.modelVersion,
        checked.output,
        prediction.heatmapPng ? 1 : 0,
        checked.specimenType,
        checked.caseId,
        prediction.onDevice ? 1 : 0,
        prediction.onDevice?.madeAt ?? null,
        prediction.onDevice?.device ?? null,
        prediction.onDevice?.idempotencyKey ?? null,
      ],
    );
  }

  /**
   * A prediction made on a device, recorded once: a repeated sync of the same idempotency key adds
   * nothing and returns the row already there. A key another user's prediction holds is a conflict.
   */
  async recordMadeOnDevice(prediction: NewPrediction & { onDevice: OnDeviceMark<number> }): Promise<Synced> {
    const { idempotencyKey, device, madeAt } = prediction.onDevice;
    if (!UUID.test(idempotencyKey)) throw invalid('an idempotency key is a lower-case UUID');
    checkText('device', device, MAX_TEXT);
    if (!Number.isSafeInteger(madeAt) || madeAt < 0) throw invalid('madeAt must be a time in milliseconds since 1970');
    const existing = await this.syncedBy(idempotencyKey, prediction.userId);
    if (existing) return { prediction: existing, created: false };
    try {
      return { prediction: await this.record(prediction), created: true };
    } catch (error) {
      // Two syncs of one key at once: the other one's row stands.
      const raced = await this.syncedBy(idempotencyKey, prediction.userId);
      if (raced) return { prediction: raced, created: false };
      throw error;
    }
  }

  /** The prediction synced from a device with this idempotency key, if any. */
  async byIdempotencyKey(key: string): Promise<PredictionRecord | null> {
    const row = await this.db.get<PredictionRow>(`${SELECT} WHERE p.idempotency_key = ?`, [key]);
    return row ? (await this.withFeedback([row]))[0] : null;
  }

  /** The row already synced with this key: this user's, or a conflict (another user's key is never theirs to reuse). */
  private async syncedBy(key: string, userId: number): Promise<PredictionRecord | null> {
    const existing = await this.byIdempotencyKey(key);
    if (existing && existing.userId !== userId) throw new StoreError('conflict', "this idempotency key belongs to another user's prediction");
    return existing;
  }

  async get(id: string): Promise<PredictionRecord | null> {
    if (!UUID.test(id)) return null;
    const row = await this.db.get<PredictionRow>(`${SELECT} WHERE p.id = ?`, [id]);
    return row ? (await this.withFeedback([row]))[0] : null;
  }

  /** The predictions of these ids that exist, by id, in one query (ids that are not UUIDs match none). */
  async getMany(ids: readonly string[]): Promise<Map<string, PredictionRecord>> {
    const valid = ids.filter((id) => UUID.test(id));
    if (valid.length === 0) return new Map();
    const rows = await this.db.all<PredictionRow>(`${SELECT} WHERE p.id IN (${valid.map(() => '?').join(', ')})`, valid);
    return new Map((await this.withFeedback(rows)).map((prediction) => [prediction.id, prediction]));
  }

  async require(id: string): Promise<PredictionRecord> {
    const prediction = await this.get(id);
    if (!prediction) throw notFound(`no prediction ${id}`);
    return prediction;
  }

  /** Newest first. */
  async list(query: PredictionQuery = {}): Promise<PredictionRecord[]> {
    const limit = query.limit ?? 100;
    const offset = query.offset ?? 0;
    const rows =
      query.userId === undefined
        ? await this.db.all<PredictionRow>(`${SELECT} ORDER BY p.created_at DESC, p.rowid DESC LIMIT ? OFFSET ?`, [limit, offset])
        : await this.db.all<PredictionRow>(`${SELECT} WHERE p.user_id = ? ORDER BY p.created_at DESC, p.rowid DESC LIMIT ? OFFSET ?`, [query.userId, limit, offset]);
    return this.withFeedback(rows);
  }

  private async withFeedback(rows: readonly PredictionRow[]): Promise<PredictionRecord[]> {
    const history = await this.feedbackLog.historyOf(rows.map((row) => row.id));
    return rows.map((row) => toPrediction(row, history.get(row.id) ?? []));
  }

  /** Whether the user has a prediction on this image (clinicians may see those images). */
  async isImageOfUser(sha256: string, userId: number): Promise<boolean> {
    return (await this.db.get('SELECT 1 FROM predictions WHERE image_sha256 = ? AND user_id = ? LIMIT 1', [sha256, userId])) !== undefined;
  }

  heatmapPathOf(id: string): string {
    if (!UUID.test(id)) throw invalid('a prediction id is a UUID');
    return join(this.heatmapDir, `${id}.png`);
  }

  tileMapPathOf(id: string): string {
    if (!UUID.test(id)) throw invalid('a prediction id is a UUID');
    return join(this.heatmapDir, `${id}.tiles.png`);
  }

  /** Adds a verdict on a prediction by this user; earlier ones stay on record. */
  async addFeedback(predictionId: string, userId: number, verdict: FeedbackVerdict, label?: string | null): Promise<PredictionRecord> {
    await this.require(predictionId);
    await this.feedbackLog.add(predictionId, userId, verdict, label);
    return this.require(predictionId);
  }

  /**
   * A verdict given offline on a device, added once: a repeated sync of its idempotency key adds
   * nothing and returns the prediction as it is (a key another user used is a conflict).
   */
  async addFeedbackFromDevice(predictionId: string, userId: number, verdict: FeedbackVerdict, label: string | null, device: DeviceVerdict): Promise<Synced> {
    if (!UUID.test(device.idempotencyKey)) throw invalid('an idempotency key is a lower-case UUID');
    if (!Number.isSafeInteger(device.madeAt) || device.madeAt < 0) throw invalid('madeAt must be a time in milliseconds since 1970');
    const created = await this.db.transaction(async (): Promise<boolean> => {
      const existing = await this.feedbackLog.byIdempotencyKey(device.idempotencyKey);
      if (existing && existing.userId !== userId) throw new StoreError('conflict', "this idempotency key belongs to another user's verdict");
      if (existing) return false;
      await this.require(predictionId);
      await this.feedbackLog.add(predictionId, userId, verdict, label, device);
      return true;
    });
    const synced = (await this.feedbackLog.byIdempotencyKey(device.idempotencyKey))!;
    return { prediction: await this.require(synced.predictionId), created };
  }

  /**
   * The whole trail as CSV, oldest first, with spreadsheet formulas defused. feedback,
   * feedback_label and feedback_time are the predicting user's own latest verdict;
   * feedback_history has every verdict by anyone, with who gave it and when. A whole field's row
   * has the field's answer as top_class, its own uncertain flag, no top_probability when it found
   * several morphotypes, and field_evidence: the morphotypes with their (confident) tiles. A
   * prediction made on a device has on_device true, made_at (the device's time; `time` is when it
   * arrived), the device's mark and its idempotency key.
   */
  async auditCsv(): Promise<string> {
    const rows = await this.withFeedback(await this.db.all<PredictionRow>(`${SELECT} ORDER BY p.created_at, p.rowid`));
    const header = [
      'prediction_id',
      'time',
      'user',
      'image_sha256',
      'model_id',
      'model_version',
      'top_class',
      'top_probability',
      'uncertain',
      'classes',
      'heatmap_shown',
      'specimen_type',
      'case_id',
      'feedback',
      'feedback_label',
      'feedback_time',
      'field',
      'refusal',
      'feedback_history',
      'field_evidence',
      'on_device',
      'made_at',
      'device',
      'idempotency_key',
    ];
    return toCsv(
      header,
      rows.map((p) => [
        p.id,
        new Date(p.createdAt).toISOString(),
        p.username,
        p.imageSha256,
        p.modelId,
        p.modelVersion,
        p.output.refusal ? null : p.output.top.label,
        p.output.refusal ? null : answerProbability(p.output),
        p.output.refusal ? null : p.output.uncertain,
        p.output.refusal ? null : JSON.stringify(p.output.classes),
        p.heatmapShown,
        p.specimenType,
        p.caseId,
        p.feedback?.verdict ?? null,
        p.feedback?.label ?? null,
        p.feedback ? new Date(p.feedback.createdAt).toISOString() : null,
        p.output.refusal || p.output.field === undefined ? null : JSON.stringify(p.output.field),
        p.output.refusal ? `${p.output.refusal.code}: ${p.output.refusal.reason}` : null,
        p.feedbackHistory.length === 0 ? null : JSON.stringify(p.feedbackHistory.map(feedbackEntryOf)),
        p.output.refusal || p.output.field === undefined ? null : fieldEvidence(p.output.field),
        p.onDevice !== null,
        p.onDevice ? new Date(p.onDevice.madeAt).toISOString() : null,
        p.onDevice?.device ?? null,
        p.onDevice?.idempotencyKey ?? null,
      ]),
      { guardFormulas: true },
    );
  }
}
