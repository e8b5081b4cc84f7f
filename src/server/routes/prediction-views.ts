import type { FeedbackView, FieldSummaryView, Prediction } from '../../contract/index.ts';
import { REFUSAL_CODES } from '../../ood/index.ts';
import { FEEDBACK_VERDICTS, type Feedback, type PredictionRecord, type StoredFieldSummary } from '../../store/index.ts';
import { anyJson, imageRef, imageRefSchema, iso, timeSchema } from '../schemas.ts';

/** The JSON shapes of the prediction routes and the views that fill them from the store's records. */
export const classProbabilitySchema = {
  type: 'object',
  required: ['label', 'probability'],
  properties: { label: { type: 'string' }, probability: { type: 'number' } },
} as const;

export const predictionParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' } },
} as const;

export type ByPredictionId = { Params: { id: string } };

export const fieldSchema = {
  type: 'object',
  description: 'A whole-field prediction: the quality verdict, the morphotypes behind the label and the tile map',
  required: ['forced', 'quality', 'label', 'morphotypes', 'multiple', 'tiles', 'legend', 'photoPxPerUm', 'warnings', 'tileMapUrl'],
  properties: {
    forced: { type: 'boolean', description: 'predicted although the photo failed the quality check' },
    quality: { type: 'object', required: ['ok', 'reasons'], properties: { ok: { type: 'boolean' }, reasons: { type: 'array', items: { type: 'string' } } } },
    label: { type: 'string' },
    morphotypes: {
      type: 'array',
      description: "morphotypes present; tileCount is the same count as the class's legend entry",
      items: { type: 'object', required: ['label', 'tileCount'], properties: { label: { type: 'string' }, tileCount: { type: 'integer' }, confidentTiles: { type: 'integer' } } },
    },
    multiple: { type: 'boolean' },
    tiles: { type: 'object', required: ['total', 'inferred'], properties: { total: { type: 'integer' }, inferred: { type: 'integer' } } },
    legend: {
      type: 'array',
      items: {
        type: 'object',
        required: ['label', 'colour', 'tiles'],
        properties: { label: { type: 'string' }, colour: { type: 'string' }, tiles: { type: 'integer' }, confidentTiles: { type: 'integer' } },
      },
    },
    photoPxPerUm: { type: ['number', 'null'] },
    warnings: { type: 'array', items: { type: 'string' } },
    tileMapUrl: { type: ['string', 'null'] },
  },
} as const;

export const refusalSchema = {
  type: ['object', 'null'],
  description: 'null when the model answered; else why it cannot read the image ("this is not something I can read: <reason>"), and classes is empty, top null',
  required: ['code', 'reason'],
  properties: {
    code: { type: 'string', enum: REFUSAL_CODES },
    reason: { type: 'string' },
    tiles: { type: 'object', required: ['read', 'unfamiliar'], properties: { read: { type: 'integer' }, unfamiliar: { type: 'integer' } } },
    qualityReasons: { type: 'array', items: { type: 'string' }, description: "code 'quality': the quality check's reasons" },
  },
} as const;

export const feedbackSchema = {
  type: 'object',
  required: ['verdict', 'label', 'user', 'createdAt'],
  properties: {
    verdict: { type: 'string', enum: [...FEEDBACK_VERDICTS] },
    label: { type: ['string', 'null'] },
    user: { type: 'object', required: ['id', 'username'], properties: { id: { type: 'integer' }, username: { type: 'string' } } },
    createdAt: timeSchema,
    madeAt: { ...timeSchema, description: "only for a verdict given offline on a device: the device's time" },
  },
} as const;

export const onDeviceSchema = {
  type: ['object', 'null'],
  description: "made on the device (offline) and synced: the device's time, the device's mark and the idempotency key; null when the server predicted",
  required: ['madeAt', 'device', 'idempotencyKey'],
  properties: { madeAt: timeSchema, device: { type: 'string' }, idempotencyKey: { type: 'string' } },
} as const;

export const predictionSchema = {
  type: 'object',
  required: ['id', 'createdAt', 'user', 'image', 'modelId', 'modelVersion', 'refusal', 'classes', 'top', 'uncertain', 'heatmapUrl', 'specimenType', 'caseId', 'onDevice', 'feedback', 'feedbackHistory'],
  properties: {
    id: { type: 'string' },
    createdAt: timeSchema,
    user: { type: 'object', required: ['id', 'username'], properties: { id: { type: 'integer' }, username: { type: 'string' } } },
    image: imageRefSchema,
    modelId: { type: ['integer', 'null'] },
    modelVersion: { type: 'string' },
    model: {
      type: ['object', 'null'],
      required: ['name', 'version'],
      properties: { name: { type: 'string' }, version: { type: 'string' } },
      description: 'the registered model that answered (readable name and version), null when unknown',
    },
    refusal: refusalSchema,
    classes: { type: 'array', items: classProbabilitySchema },
    top: { ...classProbabilitySchema, type: ['object', 'null'] },
    uncertain: { type: 'boolean' },
    tree: anyJson,
    heatmapUrl: { type: ['string', 'null'] },
    field: fieldSchema,
    specimenType: { type: 'string' },
    caseId: { type: ['string', 'null'] },
    onDevice: onDeviceSchema,
    feedback: { ...feedbackSchema, type: ['object', 'null'], description: 'the latest verdict of the user who made the prediction' },
    feedbackHistory: { type: 'array', items: feedbackSchema, description: 'every verdict by anyone, oldest first' },
  },
} as const;

export function predictionView(p: PredictionRecord): Prediction {
  const { output } = p;
  const record = {
    id: p.id,
    createdAt: iso(p.createdAt),
    user: { id: p.userId, username: p.username },
    image: imageRef(p.imageSha256),
    modelId: p.modelId,
    modelVersion: p.modelVersion,
    model: p.model,
    ...(output.tree === undefined ? {} : { tree: output.tree }),
    heatmapUrl: p.heatmapShown ? `/api/predictions/${p.id}/heatmap.png` : null,
    specimenType: p.specimenType,
    caseId: p.caseId,
    onDevice: p.onDevice && { ...p.onDevice, madeAt: iso(p.onDevice.madeAt) },
    feedback: p.feedback && feedbackView(p.feedback),
    feedbackHistory: p.feedbackHistory.map(feedbackView),
  };
  if (output.refusal) return { ...record, refusal: output.refusal, classes: [], top: null, uncertain: false };
  return {
    ...record,
    refusal: null,
    classes: output.classes,
    top: output.top,
    uncertain: output.uncertain,
    ...(output.field === undefined ? {} : { field: fieldView(p.id, output.field) }),
  };
}

export function feedbackView(entry: Feedback): FeedbackView {
  const view: FeedbackView = { verdict: entry.verdict, label: entry.label, user: { id: entry.userId, username: entry.username }, createdAt: iso(entry.createdAt) };
  return entry.madeAt === undefined ? view : { ...view, madeAt: iso(entry.madeAt) };
}

export function fieldView(id: string, field: StoredFieldSummary): FieldSummaryView {
  const { tileMap, ...summary } = field;
  return { ...summary, tileMapUrl: tileMap ? `/api/predictions/${id}/tilemap.png` : null };
}

export const fieldAnswerSchema = {
  type: 'object',
  required: ['quality', 'warnings', 'prediction'],
  properties: {
    quality: {
      type: 'object',
      required: ['ok', 'reasons', 'measures'],
      properties: { ok: { type: 'boolean' }, reasons: { type: 'array', items: { type: 'string' } }, measures: anyJson },
    },
    warnings: { type: 'array', items: { type: 'string' } },
    prediction: {
      ...predictionSchema,
      type: ['object', 'null'],
      description: "null when no tile fitted in the field of view: nothing was predicted or recorded (a refusal, a failed quality check without force included, is recorded and returned)",
    },
  },
} as const;

/** A clinician sees only their own predictions; an admin sees all. Others' are "not found". */
