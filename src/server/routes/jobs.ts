import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import type { Reexplanation } from '../../contract/index.ts';
import { RUN_STATUSES, type Store } from '../../store/index.ts';
import { ADMIN, currentUser } from '../access.ts';
import { MAX_PREDICTIONS_PER_JOB, type BatchJobs, type ExplainingRequest } from '../batch-jobs.ts';
import { HttpError } from '../errors.ts';
import { routeOptionsTagged } from '../route-options.ts';
import { runEventStreams } from '../run-events.ts';
import { anyJson, idParams, iso, sha256Schema, timeSchema, type ById } from '../schemas.ts';
import type { TrainingRuns } from '../training.ts';

export interface JobRoutesOptions {
  store: Store;
  jobs: BatchJobs;
  /** Cancels and follows runs of every kind in the job queue. */
  training: TrainingRuns;
  /** Written on hijacked (event stream) responses, which bypass the onSend hooks. */
  securityHeaders: Record<string, string>;
}

const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
const positiveId = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;

const jobSchema = {
  type: 'object',
  required: ['id', 'kind', 'status', 'params', 'progress', 'summary', 'error', 'runner', 'createdAt', 'startedAt', 'finishedAt'],
  properties: {
    id: { type: 'integer' },
    kind: { type: 'string', enum: ['scoring', 'explaining'] },
    status: { type: 'string', enum: [...RUN_STATUSES] },
    params: { ...anyJson, description: 'scoring: {projectId, modelId}; explaining: {source: {projectId} or {predictionIds}, modelId, method}' },
    progress: { ...anyJson, description: '{done, total}: items done (by whichever worker) of the total; null before it starts' },
    summary: {
      ...anyJson,
      description: 'scoring: {scored, perClass (confident answers per class), uncertain, refused, unread, failed}; explaining: {explained, refused, failed}',
    },
    error: { type: ['string', 'null'] },
    runner: { type: ['string', 'null'], description: 'the server or worker running it (or that last did)' },
    createdAt: timeSchema,
    startedAt: nullableTime,
    finishedAt: nullableTime,
  },
} as const;

const explanationSchema = {
  type: 'object',
  required: ['id', 'jobId', 'imageSha256', 'predictionId', 'modelId', 'modelVersion', 'method', 'target', 'refusal', 'error', 'heatmapUrl', 'createdAt'],
  properties: {
    id: { type: 'integer' },
    jobId: { type: 'integer' },
    imageSha256: sha256Schema,
    predictionId: { type: ['string', 'null'] },
    modelId: { type: 'integer' },
    modelVersion: { type: 'string' },
    method: { type: 'string' },
    target: { ...anyJson, description: '{label, probability}: the class explained; null when refused or failed' },
    refusal: anyJson,
    error: { type: ['string', 'null'] },
    heatmapUrl: { type: ['string', 'null'] },
    createdAt: timeSchema,
  },
} as const;

const explanationParams = {
  type: 'object',
  required: ['id', 'explanationId'],
  properties: { id: positiveId, explanationId: positiveId },
} as const;

function explanationView(explanation: Reexplanation<number>) {
  const { hasHeatmap, createdAt, ...rest } = explanation;
  return { ...rest, heatmapUrl: hasHeatmap ? `/api/jobs/${explanation.jobId}/explanations/${explanation.id}/heatmap.png` : null, createdAt: iso(createdAt) };
}

export async function jobRoutes(app: FastifyInstance, { store, jobs, training, securityHeaders }: JobRoutesOptions): Promise<void> {
  const route = routeOptionsTagged('jobs');
  const events = runEventStreams(app, { subscribe: (id, listener) => training.subscribe(id, listener), read: (id) => jobs.require(id), securityHeaders });
  const requireOfKind = async (id: number, kind: 'scoring' | 'explaining') => {
    const run = await jobs.require(id);
    if (run.kind !== kind) throw new HttpError(404, `job ${id} is not a ${kind} job`);
    return run;
  };

  app.get<{ Querystring: { kind?: 'scoring' | 'explaining' } }>(
    '/jobs',
    route(ADMIN, {
      summary: 'Scoring and re-explanation jobs, newest first (training runs are under /api/runs)',
      querystring: { type: 'object', additionalProperties: false, properties: { kind: { type: 'string', enum: ['scoring', 'explaining'] } } },
      response: { 200: { type: 'array', items: jobSchema } },
    }),
    async (request) => {
      const kinds = request.query.kind ? [request.query.kind] : (['scoring', 'explaining'] as const);
      return Promise.all((await store.runs.list(kinds)).map((run) => jobs.view(run)));
    },
  );

  app.post<{ Body: { projectId: number } }>(
    '/jobs/scoring',
    route(ADMIN, {
      summary: "Score every image of a project with the active model (queued, then run by the server's job queue or a worker)",
      description:
        'Each image is read as POST /api/predict reads it (image checks, refusals, whole fields through the field path) and its result kept with the model ' +
        "that scored it, in the job's own results (not the audit trail: no clinician was shown them). A job taken over from a worker that died does not score an image twice.",
      body: { type: 'object', required: ['projectId'], additionalProperties: false, properties: { projectId: positiveId } },
      response: { 202: jobSchema },
    }),
    async (request, reply) => reply.code(202).send(await jobs.view(await jobs.launchScoring(request.body.projectId, currentUser(request).id))),
  );

  app.post<{ Body: ExplainingRequest }>(
    '/jobs/explaining',
    route(ADMIN, {
      summary: "Recompute explanations of a project's images or of stored predictions (queued)",
      description:
        'With the active model unless modelId names another, and a CAM method (default gradcam). For predictions, the class each showed is explained (the predicted one ' +
        "when it was refused, or when a whole field's label is a Gram group). The heatmaps are kept beside, never in place of, the heatmaps clinicians were shown.",
      body: {
        type: 'object',
        additionalProperties: false,
        properties: {
          projectId: positiveId,
          predictionIds: { type: 'array', minItems: 1, maxItems: MAX_PREDICTIONS_PER_JOB, items: { type: 'string', minLength: 1, maxLength: 100 } },
          modelId: positiveId,
          method: { type: 'string', enum: ['gradcam', 'gradcam++', 'hirescam'] },
        },
      },
      response: { 202: jobSchema },
    }),
    async (request, reply) => reply.code(202).send(await jobs.view(await jobs.launchExplaining(request.body, currentUser(request).id))),
  );

  app.get<ById>(
    '/jobs/:id',
    route(ADMIN, { summary: 'One scoring or re-explanation job, with its summary so far', params: idParams, response: { 200: jobSchema } }),
    async (request) => jobs.view(await jobs.require(request.params.id)),
  );

  app.get<ById>(
    '/jobs/:id/events',
    route(ADMIN, {
      summary: 'Live progress of a job (server-sent events), from whichever server or worker runs it',
      description: 'Each change is an event "run" with the job as JSON (as GET /api/jobs/{id}), starting with its current state; when it ends, an event "end" follows and the stream closes.',
      params: idParams,
      produces: ['text/event-stream'],
    }),
    async (request, reply) => events.stream(reply, request.params.id, (run) => jobs.view(run)),
  );

  app.post<ById>(
    '/jobs/:id/cancel',
    route(ADMIN, { summary: 'Cancel a queued or running job (the results so far are kept)', params: idParams, response: { 200: jobSchema } }),
    async (request) => jobs.view(await training.cancel(await jobs.require(request.params.id))),
  );

  app.get<ById>(
    '/jobs/:id/scores.csv',
    route(ADMIN, {
      summary: "A scoring job's results so far as CSV, one line per image (formulas defused for spreadsheets)",
      description: 'result is answer, uncertain, refused, unread (a whole field with no tile in its field of view) or error; label and probability for answers.',
      params: idParams,
      produces: ['text/csv'],
    }),
    async (request, reply) => {
      const run = await requireOfKind(request.params.id, 'scoring');
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="gramlens-scores-job-${run.id}.csv"`)
        .send(await store.batchScores.csv(run.id));
    },
  );

  app.get<ById>(
    '/jobs/:id/explanations',
    route(ADMIN, { summary: "A re-explanation job's results so far, in the order made", params: idParams, response: { 200: { type: 'array', items: explanationSchema } } }),
    async (request) => (await store.reexplanations.list((await requireOfKind(request.params.id, 'explaining')).id)).map(explanationView),
  );

  app.get<{ Params: { id: number; explanationId: number } }>(
    '/jobs/:id/explanations/:explanationId/heatmap.png',
    route(ADMIN, { summary: 'A re-explanation’s heatmap over the photo', params: explanationParams, produces: ['image/png'] }),
    async (request, reply) => {
      const path = await store.reexplanations.heatmapPathOfRecorded(request.params.explanationId, request.params.id);
      if (!path) throw new HttpError(404, 'no such re-explanation heatmap');
      return reply.type('image/png').send(await readFile(path));
    },
  );
}
