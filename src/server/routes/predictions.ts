import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FEEDBACK_VERDICTS, type FeedbackVerdict, type ImageLimits, type PredictionRecord, type Store } from '../../store/index.ts';
import { ADMIN, CLINICAL, currentUser } from '../access.ts';
import { HttpError } from '../errors.ts';
import { readForm, type FormDataSchema } from '../multipart.ts';
import type { Predictor, PredictorResult } from '../options.ts';
import { anyJson, imageRef, imageRefSchema, iso, timeSchema } from '../schemas.ts';

export interface PredictionRoutesOptions {
  store: Store;
  predictor: Predictor | undefined;
  imageLimits: ImageLimits;
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

const classProbabilitySchema = {
  type: 'object',
  required: ['name', 'probability'],
  properties: { name: { type: 'string' }, probability: { type: 'number' } },
} as const;

const predictionParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' } },
} as const;

const predictionSchema = {
  type: 'object',
  required: ['id', 'createdAt', 'user', 'image', 'modelId', 'modelVersion', 'classes', 'top', 'uncertain', 'heatmapUrl', 'specimenType', 'caseId', 'feedback'],
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
    specimenType: { type: 'string' },
    caseId: { type: ['string', 'null'] },
    feedback: {
      type: ['object', 'null'],
      required: ['verdict', 'label', 'createdAt'],
      properties: { verdict: { type: 'string', enum: [...FEEDBACK_VERDICTS] }, label: { type: ['string', 'null'] }, createdAt: timeSchema },
    },
  },
} as const;

function predictionView(p: PredictionRecord) {
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
    specimenType: p.specimenType,
    caseId: p.caseId,
    feedback: p.feedback && { verdict: p.feedback.verdict, label: p.feedback.label, createdAt: iso(p.feedback.createdAt) },
  };
}

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
    typeof result.top?.name === 'string' &&
    typeof result.top.probability === 'number' &&
    typeof result.uncertain === 'boolean' &&
    typeof result.modelVersion === 'string';
  if (!valid) throw new HttpError(500, 'The model returned a malformed result');
  return result;
}

export async function predictionRoutes(app: FastifyInstance, { store, predictor, imageLimits }: PredictionRoutesOptions): Promise<void> {
  app.post(
    '/predict',
    {
      config: { access: CLINICAL },
      schema: {
        summary: 'Classify a specimen photo with the active model',
        description: 'Stores the image (metadata stripped), runs the model and writes an audit row. The heatmap, if any, is at heatmapUrl.',
        tags: ['predictions'],
        formData: predictForm,
        response: { 201: predictionSchema },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      if (!predictor) throw new HttpError(503, 'No model is loaded on this server');
      const form = await readForm(request, predictForm);
      const image = await store.images.ingest(form.file.data, imageLimits);
      const bytes = await store.images.read(image.sha256);
      let result: PredictorResult;
      try {
        result = checkPredictorResult(await predictor.predict(bytes));
      } catch (error) {
        if (error instanceof HttpError) throw error;
        request.log.error({ err: error }, 'predictor failed');
        throw new HttpError(500, 'The model could not process this image');
      }
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

  app.get<{ Querystring: { limit: number; offset: number } }>(
    '/predictions',
    {
      config: { access: CLINICAL },
      schema: {
        summary: 'Prediction history, newest first: a clinician gets their own, an admin everyone’s',
        tags: ['predictions'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 }, offset: { type: 'integer', minimum: 0, default: 0 } },
        },
        response: { 200: { type: 'array', items: predictionSchema } },
      },
    },
    async (request) => {
      const user = currentUser(request);
      const { limit, offset } = request.query;
      return store.predictions.list({ userId: user.role === 'admin' ? undefined : user.id, limit, offset }).map(predictionView);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/predictions/:id',
    { config: { access: CLINICAL }, schema: { summary: 'One prediction', tags: ['predictions'], params: predictionParams, response: { 200: predictionSchema } } },
    async (request) => predictionView(visiblePrediction(store, request, request.params.id)),
  );

  app.get<{ Params: { id: string } }>(
    '/predictions/:id/heatmap.png',
    { config: { access: CLINICAL }, schema: { summary: 'The heatmap shown with a prediction', tags: ['predictions'], params: predictionParams, produces: ['image/png'] } },
    async (request, reply) => {
      const prediction = visiblePrediction(store, request, request.params.id);
      if (!prediction.heatmapShown) throw new HttpError(404, 'this prediction has no heatmap');
      return reply.type('image/png').send(await readFile(store.predictions.heatmapPathOf(prediction.id)));
    },
  );

  app.post<{ Params: { id: string }; Body: { verdict: FeedbackVerdict; label?: string } }>(
    '/predictions/:id/feedback',
    {
      config: { access: CLINICAL },
      schema: {
        summary: "The clinician's verdict: agree, or correct with the right label (replaces an earlier verdict)",
        tags: ['predictions'],
        params: predictionParams,
        body: {
          type: 'object',
          required: ['verdict'],
          additionalProperties: false,
          properties: { verdict: { type: 'string', enum: [...FEEDBACK_VERDICTS] }, label: { type: 'string', minLength: 1, maxLength: MAX_TEXT } },
        },
        response: { 200: predictionSchema },
      },
    },
    async (request) => {
      const prediction = visiblePrediction(store, request, request.params.id);
      const { verdict, label } = request.body;
      if (verdict === 'correct' && label === undefined) throw new HttpError(400, "the verdict 'correct' needs the right label");
      return predictionView(store.predictions.setFeedback(prediction.id, currentUser(request).id, verdict, label ?? null));
    },
  );

  app.get(
    '/audit.csv',
    {
      config: { access: ADMIN },
      schema: { summary: 'The whole prediction audit trail as CSV (formulas defused for spreadsheets)', tags: ['predictions'], produces: ['text/csv'] },
    },
    async (_request, reply) =>
      reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="gramlens-audit.csv"').send(store.predictions.auditCsv()),
  );
}
