import { readFile } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FeedbackVerdict, FieldPredictorResult, PredictorResult, WholeFieldResult } from '../../contract/index.ts';
import { FEEDBACK_VERDICTS, type ImageLimits, type NewPrediction, type PredictionRecord, type Store } from '../../store/index.ts';
import { isWholeField } from '../../jobs/index.ts';
import { ADMIN, CLINICAL, currentUser } from '../access.ts';
import { HttpError } from '../errors.ts';
import { readForm, type FormDataSchema } from '../multipart.ts';
import type { DecodeBudget } from '../decode-budget.ts';
import type { Predictor } from '../options.ts';
import { routeOptionsTagged } from '../route-options.ts';
import type { ServedModel } from '../served-model.ts';
import { fieldAnswerSchema, predictionParams, predictionSchema, predictionView, type ByPredictionId } from './prediction-views.ts';

export interface PredictionRoutesOptions {
  store: Store;
  predictor: Predictor | undefined;
  imageLimits: ImageLimits;
  decodeBudget: DecodeBudget;
  servedModel: ServedModel;
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

async function visiblePrediction(store: Store, request: FastifyRequest, id: string): Promise<PredictionRecord> {
  const user = currentUser(request);
  const prediction = await store.predictions.get(id);
  if (!prediction || (user.role !== 'admin' && prediction.userId !== user.id)) throw new HttpError(404, `no prediction ${id}`);
  return prediction;
}

function checkPredictorResult<T extends PredictorResult>(result: T): T {
  const valid =
    typeof result?.modelVersion === 'string' &&
    (result.refusal
      ? typeof result.refusal.code === 'string' && typeof result.refusal.reason === 'string'
      : Array.isArray(result.classes) && typeof result.top?.label === 'string' && typeof result.top.probability === 'number' && typeof result.uncertain === 'boolean');
  if (!valid) throw new HttpError(500, 'The model returned a malformed result');
  return result;
}

function checkFieldResult<T extends FieldPredictorResult>(result: T): T {
  const { prediction } = result ?? {};
  const valid =
    typeof result?.quality?.ok === 'boolean' &&
    Array.isArray(result.quality.reasons) &&
    Array.isArray(result.warnings) &&
    (prediction === null || (checkPredictorResult(prediction) && (prediction.refusal ? true : typeof prediction.field?.label === 'string')));
  if (!valid) throw new HttpError(500, 'The model returned a malformed result');
  return result;
}

/** What the audit row records of a model's answer or refusal, and the layers stored beside it. */
function recordedOutput(result: PredictorResult | NonNullable<FieldPredictorResult['prediction']>): Pick<NewPrediction, 'modelVersion' | 'output' | 'heatmapPng' | 'tileMapPng'> {
  const { modelVersion, tree } = result;
  if (result.refusal) return { modelVersion, output: { refusal: result.refusal, tree }, heatmapPng: null };
  const answer = { classes: result.classes, top: result.top, uncertain: result.uncertain, tree };
  if (!('field' in result)) return { modelVersion, output: answer, heatmapPng: result.heatmapPng ?? null };
  return {
    modelVersion,
    output: { ...answer, field: { ...result.field, tileMap: result.tileMapPng !== null } },
    heatmapPng: result.heatmapPng ?? null,
    tileMapPng: result.tileMapPng,
  };
}

function parsePxPerUm(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!(Number.isFinite(value) && value > 0 && value <= MAX_PX_PER_UM)) throw new HttpError(400, `pxPerUm must be a number of pixels per micrometre in (0, ${MAX_PX_PER_UM}]; got "${text}"`);
  return value;
}

export async function predictionRoutes(app: FastifyInstance, { store, predictor, imageLimits, decodeBudget, servedModel }: PredictionRoutesOptions): Promise<void> {
  const route = routeOptionsTagged('predictions');
  const pixelsOf = async (upload: Buffer) => {
    const { width, height } = await store.images.inspect(upload, imageLimits);
    return width * height;
  };

  /** The model's answer and the id of the model this server answered with (not the database's active one, which may be changing). */
  const answeredBy = <T>(work: () => Promise<T>) => servedModel.use(async (model) => ({ answer: await work(), modelId: model?.id ?? null }));

  /** Records a model's answer or refusal in the audit trail, with the model that answered. */
  const record = (request: FastifyRequest, image: { sha256: string }, fields: Record<string, string>, result: Parameters<typeof recordedOutput>[0], modelId: number | null) =>
    store.predictions.record({
      userId: currentUser(request).id,
      imageSha256: image.sha256,
      modelId,
      ...recordedOutput(result),
      specimenType: fields.specimenType,
      caseId: fields.caseId ?? null,
    });

  /** A field result answered: the recorded prediction or refusal (a failed quality check unforced included) with 201; 200 without a record when no tile was read. */
  const answerField = async (request: FastifyRequest, reply: FastifyReply, image: { sha256: string }, fields: Record<string, string>, result: FieldPredictorResult, modelId: number | null) => {
    const { quality, warnings, prediction: predicted } = result;
    const answer = { quality: { ok: quality.ok, reasons: quality.reasons, measures: quality.measures }, warnings };
    if (!predicted) return reply.code(200).send({ ...answer, prediction: null });
    return reply.code(201).send({ ...answer, prediction: predictionView(await record(request, image, fields, predicted, modelId)) });
  };

  app.post(
    '/predict',
    route(CLINICAL, {
      summary: 'Classify a specimen photo with the active model',
      description:
        'Stores the image (metadata stripped), checks it, runs the model and writes an audit row (201). The heatmap, if any, is at heatmapUrl. ' +
        'An image the model cannot read (blank, noise, not a stained bright-field slide, unlike its training images) is answered and recorded as a ' +
        'refusal: refusal says why, classes is empty and top null. A photo far larger than the model\'s input (shorter side over 4 input sides) is ' +
        'read as a whole microscope field when the model can (the prediction has field; a failed quality check is recorded and answered as a refusal, ' +
        "code 'quality' with the check's reasons: send it to /api/predict/field with force to predict anyway), and refused (field-unsupported) when a microscopy model cannot; other models read it as one image.",
      formData: predictForm,
      response: { 200: fieldAnswerSchema, 201: predictionSchema },
    }),
    async (request, reply) => {
      if (!predictor) throw new HttpError(503, 'No model is loaded on this server');
      const form = await readForm(request, predictForm);
      // Storing and predicting decode the photo: within the server's decode budget.
      const { image, result, modelId } = await decodeBudget.run(await pixelsOf(form.file.data), async () => {
        const { image, bytes } = await store.images.ingestKeepingBytes(form.file.data, imageLimits);
        try {
          const { answer, modelId } = await answeredBy(() => predictor.predict(bytes));
          const result: PredictorResult | WholeFieldResult = isWholeField(answer) ? checkFieldResult(answer) : checkPredictorResult(answer);
          return { image, result, modelId };
        } catch (error) {
          if (error instanceof HttpError) throw error;
          request.log.error({ err: error }, 'predictor failed');
          throw new HttpError(500, 'The model could not process this image');
        }
      });
      if (!isWholeField(result)) return reply.code(201).send(predictionView(await record(request, image, form.fields, result, modelId)));
      if (!result.prediction) return answerField(request, reply, image, form.fields, result, modelId);
      return reply.code(201).send(predictionView(await record(request, image, form.fields, result.prediction, modelId)));
    },
  );

  app.post(
    '/predict/field',
    route(CLINICAL, {
      summary: 'Classify a whole microscope field: image checks and quality check first, then the tiles of the field of view',
      description:
        'Stores the image and checks it: an image the model cannot read (blank, noise, not a stained bright-field slide), or whose tiles are ' +
        'mostly unlike the training images, is recorded and answered (201) as a refusal, whatever force says. Then the quality check (focus, ' +
        "exposure, field of view, magnification): when it fails and force is not true, the photo is recorded and answered (201) as a refusal, code 'quality' " +
        "with the check's reasons. Otherwise the tiles of the field are classified, the field prediction is recorded in the audit trail (forced " +
        'when the check failed) and answered with 201; its tile map is at field.tileMapUrl. 200 with prediction null: no tile fitted in the field of view.',
      formData: predictFieldForm,
      response: { 200: fieldAnswerSchema, 201: fieldAnswerSchema },
    }),
    async (request, reply) => {
      if (!predictor) throw new HttpError(503, 'No model is loaded on this server');
      if (!predictor.predictField) throw new HttpError(501, 'This server cannot read whole microscope fields');
      const form = await readForm(request, predictFieldForm);
      const pxPerUm = parsePxPerUm(form.fields.pxPerUm);
      const { image, result, modelId } = await decodeBudget.run(await pixelsOf(form.file.data), async () => {
        const { image, bytes } = await store.images.ingestKeepingBytes(form.file.data, imageLimits);
        try {
          const { answer, modelId } = await answeredBy(() => predictor.predictField!(bytes, { pxPerUm, force: form.fields.force === 'true' }));
          return { image, result: checkFieldResult(answer), modelId };
        } catch (error) {
          if (error instanceof HttpError) throw error;
          if ((error as Error)?.name === 'FieldUnsupportedError') throw new HttpError(422, `The active model cannot read whole microscope fields: ${(error as Error).message}`);
          request.log.error({ err: error }, 'field predictor failed');
          throw new HttpError(500, 'The model could not process this photo as a whole field');
        }
      });
      return answerField(request, reply, image, form.fields, result, modelId);
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
      return (await store.predictions.list({ userId: user.role === 'admin' ? undefined : user.id, limit, offset })).map(predictionView);
    },
  );

  app.get<ByPredictionId>(
    '/predictions/:id',
    route(CLINICAL, { summary: 'One prediction', params: predictionParams, response: { 200: predictionSchema } }),
    async (request) => predictionView(await visiblePrediction(store, request, request.params.id)),
  );

  app.get<ByPredictionId>(
    '/predictions/:id/heatmap.png',
    route(CLINICAL, { summary: 'The heatmap shown with a prediction', params: predictionParams, produces: ['image/png'] }),
    async (request, reply) => {
      const prediction = await visiblePrediction(store, request, request.params.id);
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
      const prediction = await visiblePrediction(store, request, request.params.id);
      if (prediction.output.refusal || !prediction.output.field?.tileMap) throw new HttpError(404, 'this prediction has no tile map');
      return reply.type('image/png').send(await readFile(store.predictions.tileMapPathOf(prediction.id)));
    },
  );

  app.post<ByPredictionId & { Body: { verdict: FeedbackVerdict; label?: string } }>(
    '/predictions/:id/feedback',
    route(CLINICAL, {
      summary: 'A verdict: agree, or correct with the right label (an uncertain result can only be corrected)',
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
      const prediction = await visiblePrediction(store, request, request.params.id);
      const { verdict, label } = request.body;
      if (verdict === 'correct' && label === undefined) throw new HttpError(400, "the verdict 'correct' needs the right label");
      if (verdict === 'agree' && !prediction.output.refusal && prediction.output.uncertain) {
        throw new HttpError(409, "an 'uncertain: refer' result names no class to agree with: record the laboratory's result as a correction");
      }
      return predictionView(await store.predictions.addFeedback(prediction.id, currentUser(request).id, verdict, label ?? null));
    },
  );

  app.get(
    '/audit.csv',
    route(ADMIN, { summary: 'The whole prediction audit trail as CSV (formulas defused for spreadsheets)', produces: ['text/csv'] }),
    async (_request, reply) =>
      reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="gramlens-audit.csv"').send(await store.predictions.auditCsv()),
  );
}
