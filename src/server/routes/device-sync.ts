import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ActiveModelVersion, DevicePredictionSync, DeviceResult, DeviceVerdictSync } from '../../contract/index.ts';
import { FEEDBACK_VERDICTS, type ImageLimits, type PredictionOutput, type PredictionRecord, type Store } from '../../store/index.ts';
import { CLINICAL, currentUser } from '../access.ts';
import type { DecodeBudget } from '../decode-budget.ts';
import { checkDeviceResult, deviceTime, photoFromBase64 } from '../device-results.ts';
import { HttpError } from '../errors.ts';
import { routeOptionsTagged } from '../route-options.ts';
import type { ServedModel } from '../served-model.ts';
import { fieldSchema, predictionSchema, predictionView, refusalSchema } from './prediction-views.ts';

export interface DeviceSyncRoutesOptions {
  store: Store;
  /** The version answered is that of the model this server serves, whose files it hands out. */
  servedModel: ServedModel;
  imageLimits: ImageLimits;
  decodeBudget: DecodeBudget;
  /** The version the audit trail records for a bundle (its own, from its metadata); absent: device versions cannot be confirmed. */
  bundleVersionOf: ((bundlePath: string) => Promise<string>) | undefined;
  clock: () => number;
}

const MAX_TEXT = 200;
const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const uuid = { type: 'string', pattern: UUID_PATTERN } as const;
const probability = { type: 'object', required: ['label', 'probability'], additionalProperties: false, properties: { label: { type: 'string', minLength: 1, maxLength: MAX_TEXT }, probability: { type: 'number' } } } as const;
const { tileMapUrl: _tileMapUrl, ...fieldProperties } = fieldSchema.properties;

const deviceResultSchema = {
  type: 'object',
  required: ['modelVersion'],
  description: "the on-device model's answer in the server's result shape, without heatmap or tile map: classes, top and uncertain, or a refusal",
  properties: {
    modelVersion: { type: 'string', minLength: 1, maxLength: MAX_TEXT },
    tree: {},
    classes: { type: 'array', minItems: 1, maxItems: 1000, items: probability },
    top: probability,
    uncertain: { type: 'boolean' },
    field: { type: 'object', required: fieldSchema.required.filter((name) => name !== 'tileMapUrl'), properties: fieldProperties },
    refusal: refusalSchema,
  },
  oneOf: [
    { required: ['classes', 'top', 'uncertain'], properties: { refusal: { type: 'null' } } },
    { required: ['refusal'], properties: { refusal: { type: 'object' }, classes: false, top: false, field: false } },
  ],
} as const;

const madeAt = { type: 'string', format: 'date-time', description: "the device's clock when it was made" } as const;

const predictionSyncBody = {
  type: 'object',
  required: ['idempotencyKey', 'madeAt', 'device', 'modelId', 'result', 'specimenType', 'image'],
  additionalProperties: false,
  properties: {
    idempotencyKey: { ...uuid, description: 'made on the device with the prediction; a repeated sync of it adds nothing' },
    madeAt,
    device: { type: 'string', minLength: 1, maxLength: 100, description: "the device's mark" },
    modelId: { type: 'integer', minimum: 1, description: 'the registered model whose files the device ran' },
    result: deviceResultSchema,
    specimenType: { type: 'string', minLength: 1, maxLength: MAX_TEXT },
    caseId: { type: 'string', maxLength: MAX_TEXT },
    image: { type: 'string', minLength: 4, description: 'the photo the device read, base64 (JPEG, PNG, TIFF or WebP)' },
  },
} as const;

const verdictSyncBody = {
  type: 'object',
  required: ['idempotencyKey', 'madeAt', 'prediction', 'verdict'],
  additionalProperties: false,
  properties: {
    idempotencyKey: { ...uuid, description: "the verdict's own key, made on the device" },
    madeAt,
    prediction: {
      type: 'object',
      description: "the prediction by its server id, or a device prediction by its idempotency key",
      oneOf: [
        { required: ['id'], additionalProperties: false, properties: { id: uuid } },
        { required: ['idempotencyKey'], additionalProperties: false, properties: { idempotencyKey: uuid } },
      ],
    },
    verdict: { type: 'string', enum: [...FEEDBACK_VERDICTS] },
    label: { type: 'string', minLength: 1, maxLength: MAX_TEXT },
  },
} as const;

function outputOf(result: DeviceResult): PredictionOutput {
  if (result.refusal) return { refusal: result.refusal, tree: result.tree };
  const answer = { classes: result.classes, top: result.top, uncertain: result.uncertain, tree: result.tree };
  return result.field ? { ...answer, field: { ...result.field, tileMap: false } } : answer;
}

/**
 * Predictions and verdicts made on a device while it was offline, into the same append-only audit
 * trail: each once by its idempotency key (201 when recorded now, 200 with the row already there).
 */
export async function deviceSyncRoutes(app: FastifyInstance, { store, servedModel, imageLimits, decodeBudget, bundleVersionOf, clock }: DeviceSyncRoutesOptions): Promise<void> {
  const route = routeOptionsTagged('offline');

  const versionOf = async (modelId: number): Promise<{ id: number; name: string; version: string; modelVersion: string }> => {
    const model = await store.models.get(modelId);
    if (!model) throw new HttpError(422, `there is no model ${modelId} on this server`);
    if (!bundleVersionOf) throw new HttpError(501, 'This server cannot confirm the versions of on-device models');
    const modelVersion = await bundleVersionOf(model.path).catch(() => {
      throw new HttpError(422, `the bundle of model ${modelId} cannot be read to confirm its version`);
    });
    return { id: model.id, name: model.name, version: model.version, modelVersion };
  };

  app.get(
    '/models/active/version',
    route(CLINICAL, {
      summary: 'The active model and its bundle version: the page compares it with the model it holds for offline use',
      response: {
        200: {
          type: 'object',
          required: ['id', 'name', 'version', 'modelVersion'],
          properties: { id: { type: 'integer' }, name: { type: 'string' }, version: { type: 'string' }, modelVersion: { type: 'string' } },
        },
      },
    }),
    async (): Promise<ActiveModelVersion> => {
      const served = await servedModel.use(async (model) => model);
      if (!served) throw new HttpError(404, 'No model is active on this server');
      return versionOf(served.id);
    },
  );

  app.post<{ Body: DevicePredictionSync }>(
    '/predictions/sync',
    {
      ...route(CLINICAL, {
        summary: 'Record a prediction made on the device (offline), once',
        description:
          'The audit row keeps the device time (madeAt; createdAt is when it arrived), the device mark and the idempotency key, which is unique: ' +
          'a repeated sync answers 200 with the prediction already recorded, a new one 201. The model must be registered here and modelVersion ' +
          'its bundle version (422 otherwise); probabilities finite and summing to 1; madeAt not more than 5 minutes ahead of the server.',
        body: predictionSyncBody,
        response: { 200: predictionSchema, 201: predictionSchema },
      }),
      // The photo travels as base64 inside the JSON.
      bodyLimit: Math.ceil((imageLimits.maxBytes * 4) / 3) + 256 * 1024,
    },
    async (request, reply) => {
      const body = request.body;
      const user = currentUser(request);
      const made = deviceTime(body.madeAt, clock());
      const existing = await store.predictions.byIdempotencyKey(body.idempotencyKey);
      if (existing && existing.userId !== user.id) throw new HttpError(409, "this idempotency key belongs to another user's prediction");
      if (existing) return reply.code(200).send(predictionView(existing));
      const result = checkDeviceResult(body.result);
      const model = await versionOf(body.modelId);
      if (result.modelVersion !== model.modelVersion) {
        throw new HttpError(422, `model ${model.id} is version ${model.modelVersion} on this server, not ${result.modelVersion.slice(0, MAX_TEXT)}`);
      }
      const photo = photoFromBase64(body.image);
      const { width, height } = await store.images.inspect(photo, imageLimits);
      const image = await decodeBudget.run(width * height, () => store.images.ingest(photo, imageLimits));
      const synced = await store.predictions.recordMadeOnDevice({
        userId: user.id,
        imageSha256: image.sha256,
        modelId: model.id,
        modelVersion: result.modelVersion,
        output: outputOf(result),
        heatmapPng: null,
        specimenType: body.specimenType,
        caseId: body.caseId ?? null,
        onDevice: { madeAt: made, device: body.device, idempotencyKey: body.idempotencyKey },
      });
      return reply.code(synced.created ? 201 : 200).send(predictionView(synced.prediction));
    },
  );

  const predictionOf = async (request: FastifyRequest, ref: DeviceVerdictSync['prediction']): Promise<PredictionRecord> => {
    const user = currentUser(request);
    const prediction = 'id' in ref ? await store.predictions.get(ref.id) : await store.predictions.byIdempotencyKey(ref.idempotencyKey);
    if (!prediction || (user.role !== 'admin' && prediction.userId !== user.id)) throw new HttpError(404, 'no such prediction (a device prediction is synced before its verdicts)');
    return prediction;
  };

  app.post<{ Body: DeviceVerdictSync }>(
    '/predictions/feedback/sync',
    route(CLINICAL, {
      summary: 'Record a verdict given on the device (offline), once',
      description:
        "On a prediction by its id, or on a device prediction by its idempotency key. The verdict's own idempotency key is unique: a repeated sync " +
        'answers 200 with the prediction as it is, a new verdict 201. The rules of POST /api/predictions/:id/feedback apply.',
      body: verdictSyncBody,
      response: { 200: predictionSchema, 201: predictionSchema },
    }),
    async (request, reply) => {
      const { idempotencyKey, verdict, label } = request.body;
      const made = deviceTime(request.body.madeAt, clock());
      const prediction = await predictionOf(request, request.body.prediction);
      if (verdict === 'correct' && label === undefined) throw new HttpError(400, "the verdict 'correct' needs the right label");
      if (verdict === 'agree' && !prediction.output.refusal && prediction.output.uncertain) {
        throw new HttpError(409, "an 'uncertain: refer' result names no class to agree with: record the laboratory's result as a correction");
      }
      const synced = await store.predictions.addFeedbackFromDevice(prediction.id, currentUser(request).id, verdict, label ?? null, { idempotencyKey, madeAt: made });
      return reply.code(synced.created ? 201 : 200).send(predictionView(synced.prediction));
    },
  );
}
