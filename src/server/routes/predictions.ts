import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FeedbackVerdict, FeedbackView, FieldPredictorResult, FieldSummaryView, Prediction, PredictorResult } from '../../contract/index.ts';
import { FEEDBACK_VERDICTS, type Feedback, type ImageLimits, type PredictionRecord, type StoredFieldSummary, type Store } from '../../store/index.ts';
import { ADMIN, CLINICAL, currentUser } from '../access.ts';
import { HttpError } from '../errors.ts';
import { readForm, type FormDataSchema } from '../multipart.ts';
import type { DecodeBudget } from '../decode-budget.ts';
import type { ModelGate } from '../model-gate.ts';
import type { Predictor } from '../options.ts';
import { routeOptionsTagged } from '../route-options.ts';
import { anyJson, imageRef, imageRefSchema, iso, timeSchema } from '../schemas.ts';

export interface PredictionRoutesOptions {
  store: Store;
  predictor: Predictor | undefined;
  imageLimits: ImageLimits;
  decodeBudget: DecodeBudget;
  modelGate: ModelGate;
}

const MAX_TEXT = 200;

const predictForm: FormDataSchema = {
  type: 'object',
  required: ['image', 'specimenType'],
  properties: {
    image: { type: 'string', format: 'binary', description: 'JPEG, PNG, TIFF or WebP photo of the specimen' },
    specimenType: { type: 'string', maxLength: MAX_TEXT, description: 'e.g. blood culture, CSF, sputum' },
    caseId: { type: 'string', maxLength: MAX_TEXT, description: 'optional free-text case reference' },
  },
};

const predictFieldForm: FormDataSchema = {
  type: 'object',
  required: ['image', 'specimenType'],
  properties: {
    ...predictForm.properties,
    image: { type: 'string', format: 'binary', description: 'JPEG, PNG, TIFF or WebP photo of the whole microscope field (through the eyepiece)' },
    pxPerUm: { type: 'string', maxLength: 20, description: "optional: the photo's scale in pixels per micrometre (from the device's calibration), for tiles at the model's scale and the magnification check" },
    force: { type: 'string', enum: ['true', 'false'], description: "'true' predicts even when the photo fails the quality check (recorded as forced)" },
  },
};

const MAX_PX_PER_UM = 1000;

const classProbabilitySchema = {
  type: 'object',
  required: ['label', 'probability'],
  properties: { label: { type: 'string' }, probability: { type: 'number' } },
} as const;

const predictionParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' } },
} as const;

type ByPredictionId = { Params: { id: string } };

const fieldSchema = {
  type: 'object',
  description: 'A whole-field prediction: the quality verdict, the morphotypes behind the label and the tile map',
  required: ['forced', 'quality', 'label', 'morphotypes', 'multiple', 'tiles', 'legend', 'photoPxPerUm', 'warnings', 'tileMapUrl'],
  properties: {
    forced: { type: 'boolean', description: 'predicted although the photo failed the quality check' },
    quality: { type: 'object', required: ['ok', 'reasons'], properties: { ok: { type: 'boolean' }, reasons: { type: 'array', items: { type: 'string' } } } },
    label: { type: 'string' },
    morphotypes: { type: 'array', items: { type: 'object', required: ['label', 'tileCount'], properties: { label: { type: 'string' }, tileCount: { type: 'integer' } } } },
    multiple: { type: 'boolean' },
    tiles: { type: 'object', required: ['total', 'inferred'], properties: { total: { type: 'integer' }, inferred: { type: 'integer' } } },
    legend: {
      type: 'array',
      items: { type: 'object', required: ['label', 'colour', 'tiles'], properties: { label: { type: 'string' }, colour: { type: 'string' }, tiles: { type: 'integer' } } },
    },
    photoPxPerUm: { type: ['number', 'null'] },
    warnings: { type: 'array', items: { type: 'string' } },
    tileMapUrl: { type: ['string', 'null'] },
  },
} as const;

const feedbackSchema = {
  type: 'object',
  required: ['verdict', 'label', 'user', 'createdAt'],
  properties: {
    verdict: { type: 'string', enum: [...FEEDBACK_VERDICTS] },
    label: { type: ['string', 'null'] },
    user: { type: 'object', required: ['id', 'username'], properties: { id: { type: 'integer' }, username: { type: 'string' } } },
    createdAt: timeSchema,
  },
} as const;

const predictionSchema = {
  type: 'object',
  required: ['id', 'createdAt', 'user', 'image', 'modelId', 'modelVersion', 'classes', 'top', 'uncertain', 'heatmapUrl', 'specimenType', 'caseId', 'feedback', 'feedbackHistory'],
  properties: {
    id: { type: 'string' },
    createdAt: timeSchema,
    user: { type: 'object', required: ['id', 'username'], properties: { id: { type: 'integer' }, username: { type: 'string' } } },
    image: imageRefSchema,
    modelId: { type: ['integer', 'null'] },
    modelVersion: { type: 'string' },
    classes: { type: 'array', items: classProbabilitySchema },
    top: classProbabilitySchema,
    uncertain: { type: 'boolean' },
    tree: anyJson,
    heatmapUrl: { type: ['string', 'null'] },
    field: fieldSchema,
    specimenType: { type: 'string' },
    caseId: { type: ['string', 'null'] },
    feedback: { ...feedbackSchema, type: ['object', 'null'], description: 'the latest verdict of the user who made the prediction' },
    feedbackHistory: { type: 'array', items: feedbackSchema, description: 'every verdict by anyone, oldest first' },
  },
} as const;

function predictionView(p: PredictionRecord): Prediction {
  return {
    id: p.id,
    createdAt: iso(p.createdAt),
    user: { id: p.userId, username: p.username },
    image: imageRef(p.imageSha256),
    modelId: p.modelId,
    modelVersion: p.modelVersion,
    classes: p.output.classes,
    top: p.output.top,
    uncertain: p.output.uncertain,
    ...(p.output.tree === undefined ? {} : { tree: p.output.tree }),
    heatmapUrl: p.heatmapShown ? `/api/predictions/${p.id}/heatmap.png` : null,
    ...(p.output.field === undefined ? {} : { field: fieldView(p.id, p.output.field) }),
    specimenType: p.specimenType,
    caseId: p.caseId,
    feedback: p.feedback && feedbackView(p.feedback),
    feedbackHistory: p.feedbackHistory.map(feedbackView),
  };
}

function feedbackView(entry: Feedback): FeedbackView {
  return { verdict: entry.verdict, label: entry.label, user: { id: entry.userId, username: entry.username }, createdAt: iso(entry.createdAt) };
}

function fieldView(id: string, field: StoredFieldSummary): FieldSummaryView {
  const { tileMap, ...summary } = field;
  return { ...summary, tileMapUrl: tileMap ? `/api/predictions/${id}/tilemap.png` : null };
}

const fieldAnswerSchema = {
  type: 'object',
  required: ['quality', 'warnings', 'prediction'],
  properties: {
    quality: {
      type: 'object',
      required: ['ok', 'reasons', 'measures'],
      properties: { ok: { type: 'boolean' }, reasons: { type: 'array', items: { type: 'string' } }, measures: anyJson },
    },
    warnings: { type: 'array', items: { type: 'string' } },
    prediction: { ...predictionSchema, type: ['object', 'null'], description: 'null when the photo failed the quality check and force was not set: nothing was predicted or recorded' },
  },
} as const;

/** A clinician sees only their own predictions; an admin sees all. Others' are "not found". */
function visiblePrediction(store: Store, request: FastifyRequest, id: string): PredictionRecord {
  const user = currentUser(request);
  const prediction = store.predictions.get(id);
  if (!prediction || (user.role !== 'admin' && prediction.userId !== user.id)) throw new HttpError(404, `no prediction ${id}`);
  return prediction;
}

function checkPredictorResult(result: PredictorResult): PredictorResult {
  const valid =
    Array.isArray(result?.classes) &&
    typeof result.top?.label === 'string' &&
    typeof result.top.probability === 'number' &&
    typeof result.uncertain === 'boolean' &&
    typeof result.modelVersion === 'string';
  if (!valid) throw new HttpError(500, 'The model returned a malformed result');
  return result;
}

function checkFieldResult(result: FieldPredictorResult): FieldPredictorResult {
  const valid =
    typeof result?.quality?.ok === 'boolean' &&
    Array.isArray(result.quality.reasons) &&
    Array.isArray(result.warnings) &&
    (result.prediction === null || (checkPredictorResult(result.prediction) && typeof result.prediction.field?.label === 'string'));
  if (!valid) throw new HttpError(500, 'The model returned a malformed result');
  return result;
}

function parsePxPerUm(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!(Number.isFinite(value) && value > 0 && value <= MAX_PX_PER_UM)) throw new HttpError(400, `pxPerUm must be a number of pixels per micrometre in (0, ${MAX_PX_PER_UM}]; got "${text}"`);
  return value;
}

export async function predictionRoutes(app: FastifyInstance, { store, predictor, imageLimits, decodeBudget, modelGate }: PredictionRoutesOptions): Promise<void> {
  const route = routeOptionsTagged('predictions');
  const pixelsOf = async (upload: Buffer) => {
    const { width, height } = await store.images.inspect(upload, imageLimits);
    return width * height;
  };

  app.post(
    '/predict',
    route(CLINICAL, {
      summary: 'Classify a specimen photo with the active model',
      description: 'Stores the image (metadata stripped), runs the model and writes an audit row. The heatmap, if any, is at heatmapUrl.',
      formData: predictForm,
      response: { 201: predictionSchema },
    }),
    async (request, reply) => {
      const user = currentUser(request);
      if (!predictor) throw new HttpError(503, 'No model is loaded on this server');
      const form = await readForm(request, predictForm);
      // Storing and predicting decode the photo: within the server's decode budget.
      const { image, result } = await decodeBudget.run(await pixelsOf(form.file.data), async () => {
        const image = await store.images.ingest(form.file.data, imageLimits);
        const bytes = await store.images.read(image.sha256);
        try {
          return { image, result: checkPredictorResult(await modelGate.use(() => predictor.predict(bytes))) };
        } catch (error) {
          if (error instanceof HttpError) throw error;
          request.log.error({ err: error }, 'predictor failed');
          throw new HttpError(500, 'The model could not process this image');
        }
      });
      const prediction = await store.predictions.record({
        userId: user.id,
        imageSha256: image.sha256,
        modelId: store.models.active()?.id ?? null,
        modelVersion: result.modelVersion,
        output: { classes: result.classes, top: result.top, uncertain: result.uncertain, tree: result.tree },
        heatmapPng: result.heatmapPng ?? null,
        specimenType: form.fields.specimenType,
        caseId: form.fields.caseId ?? null,
      });
      return reply.code(201).send(predictionView(prediction));
    },
  );

  app.post(
    '/predict/field',
    route(CLINICAL, {
      summary: 'Classify a whole microscope field: quality check first, then the tiles of the field of view',
      description:
        'Stores the image and checks its quality (focus, exposure, field of view, magnification). When the check fails and force is not true, ' +
        'answers 200 with the reasons and prediction null (nothing is recorded). Otherwise the tiles of the field are classified, the field ' +
        'prediction is recorded in the audit trail (forced when the check failed) and answered with 201; its tile map is at field.tileMapUrl.',
      formData: predictFieldForm,
      response: { 200: fieldAnswerSchema, 201: fieldAnswerSchema },
    }),
    async (request, reply) => {
      const user = currentUser(request);
      if (!predictor) throw new HttpError(503, 'No model is loaded on this server');
      if (!predictor.predictField) throw new HttpError(501, 'This server cannot read whole microscope fields');
      const form = await readForm(request, predictFieldForm);
      const pxPerUm = parsePxPerUm(form.fields.pxPerUm);
      const { image, result } = await decodeBudget.run(await pixelsOf(form.file.data), async () => {
        const image = await store.images.ingest(form.file.data, imageLimits);
        const bytes = await store.images.read(image.sha256);
        try {
          return { image, result: checkFieldResult(await modelGate.use(() => predictor.predictField!(bytes, { pxPerUm, force: form.fields.force === 'true' }))) };
        } catch (error) {
          if (error instanceof HttpError) throw error;
          if ((error as Error)?.name === 'FieldUnsupportedError') throw new HttpError(422, `The active model cannot read whole microscope fields: ${(error as Error).message}`);
          request.log.error({ err: error }, 'field predictor failed');
          throw new HttpError(500, 'The model could not process this photo as a whole field');
        }
      });
      const { quality, warnings, prediction: predicted } = result;
      const answer = { quality: { ok: quality.ok, reasons: quality.reasons, measures: quality.measures }, warnings };
      if (!predicted) return reply.code(200).send({ ...answer, prediction: null });
      const prediction = await store.predictions.record({
        userId: user.id,
        imageSha256: image.sha256,
        modelId: store.models.active()?.id ?? null,
        modelVersion: predicted.modelVersion,
        output: {
          classes: predicted.classes,
          top: predicted.top,
          uncertain: predicted.uncertain,
          tree: predicted.tree,
          field: { ...predicted.field, tileMap: predicted.tileMapPng !== null },
        },
        heatmapPng: predicted.heatmapPng ?? null,
        tileMapPng: predicted.tileMapPng,
        specimenType: form.fields.specimenType,
        caseId: form.fields.caseId ?? null,
      });
      return reply.code(201).send({ ...answer, prediction: predictionView(prediction) });
    },
  );

  app.get<{ Querystring: { limit: number; offset: number } }>(
    '/predictions',
    route(CLINICAL, {
      summary: 'Prediction history, newest first: a clinician gets their own, an admin everyone’s',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 }, offset: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 } },
      },
      response: { 200: { type: 'array', items: predictionSchema } },
    }),
    async (request) => {
      const user = currentUser(request);
      const { limit, offset } = request.query;
      return store.predictions.list({ userId: user.role === 'admin' ? undefined : user.id, limit, offset }).map(predictionView);
    },
  );

  app.get<ByPredictionId>(
    '/predictions/:id',
    route(CLINICAL, { summary: 'One prediction', params: predictionParams, response: { 200: predictionSchema } }),
    async (request) => predictionView(visiblePrediction(store, request, request.params.id)),
  );

  app.get<ByPredictionId>(
    '/predictions/:id/heatmap.png',
    route(CLINICAL, { summary: 'The heatmap shown with a prediction', params: predictionParams, produces: ['image/png'] }),
    async (request, reply) => {
      const prediction = visiblePrediction(store, request, request.params.id);
      if (!prediction.heatmapShown) throw new HttpError(404, 'this prediction has no heatmap');
      return reply.type('image/png').send(await readFile(store.predictions.heatmapPathOf(prediction.id)));
    },
  );

  app.get<ByPredictionId>(
    '/predictions/:id/tilemap.png',
    route(CLINICAL, {
      summary: "A whole-field prediction's tile map: each classified tile in its class colour (see field.legend), opacity = probability",
      params: predictionParams,
      produces: ['image/png'],
    }),
    async (request, reply) => {
      const prediction = visiblePrediction(store, request, request.params.id);
      if (!prediction.output.field?.tileMap) throw new HttpError(404, 'this prediction has no tile map');
      return reply.type('image/png').send(await readFile(store.predictions.tileMapPathOf(prediction.id)));
    },
  );

  app.post<ByPredictionId & { Body: { verdict: FeedbackVerdict; label?: string } }>(
    '/predictions/:id/feedback',
    route(CLINICAL, {
      summary: 'A verdict: agree, or correct with the right label',
      description: "Added to the prediction's feedback history with its author and time; earlier verdicts stay on record. feedback is the predicting user's latest.",
      params: predictionParams,
      body: {
        type: 'object',
        required: ['verdict'],
        additionalProperties: false,
        properties: { verdict: { type: 'string', enum: [...FEEDBACK_VERDICTS] }, label: { type: 'string', minLength: 1, maxLength: MAX_TEXT } },
      },
      response: { 200: predictionSchema },
    }),
    async (request) => {
      const prediction = visiblePrediction(store, request, request.params.id);
      const { verdict, label } = request.body;
      if (verdict === 'correct' && label === undefined) throw new HttpError(400, "the verdict 'correct' needs the right label");
      return predictionView(store.predictions.addFeedback(prediction.id, currentUser(request).id, verdict, label ?? null));
    },
  );

  app.get(
    '/audit.csv',
    route(ADMIN, { summary: 'The whole prediction audit trail as CSV (formulas defused for spreadsheets)', produces: ['text/csv'] }),
    async (_request, reply) =>
      reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="gramlens-audit.csv"').send(store.predictions.auditCsv()),
  );
}
