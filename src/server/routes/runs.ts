import type { FastifyInstance } from 'fastify';
import type { TrainingRun } from '../../contract/index.ts';
import { RUN_STATUSES, type RunRecord, type Store } from '../../store/index.ts';
import { ADMIN, currentUser } from '../access.ts';
import { HttpError } from '../errors.ts';
import { runEventStreams } from '../run-events.ts';
import { routeOptionsTagged } from '../route-options.ts';
import { anyJson, idParams, iso, timeSchema, type ById } from '../schemas.ts';
import type { TrainingRuns } from '../training.ts';

export interface RunRoutesOptions {
  store: Store;
  training: TrainingRuns;
  /** Written on hijacked (event stream) responses, which bypass the onSend hooks. */
  securityHeaders: Record<string, string>;
}

const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;

const runSchema = {
  type: 'object',
  required: ['id', 'projectId', 'status', 'progress', 'bundlePath', 'error', 'modelId', 'runner', 'createdAt', 'startedAt', 'finishedAt'],
  properties: {
    id: { type: 'integer' },
    projectId: { type: 'integer' },
    status: { type: 'string', enum: [...RUN_STATUSES] },
    progress: anyJson,
    bundlePath: { type: ['string', 'null'] },
    error: { type: ['string', 'null'] },
    modelId: { type: ['integer', 'null'], description: 'the model registered from the finished bundle' },
    runner: { type: ['string', 'null'], description: 'the server or worker training it (or that last did), e.g. "worker lab-2 pid 4242"' },
    createdAt: timeSchema,
    startedAt: nullableTime,
    finishedAt: nullableTime,
  },
} as const;

/** The runs of scoring and re-explanation jobs are under /api/jobs. */
async function requireTrainingRun(store: Store, id: number): Promise<RunRecord> {
  const run = await store.runs.require(id);
  if (run.kind !== 'training') throw new HttpError(404, `no training run with id ${id} (it is a ${run.kind} job: see /api/jobs/${id})`);
  return run;
}

function runView(run: RunRecord): TrainingRun {
  const { id, status, progress, bundlePath, error, modelId, runner } = run;
  // a training run always has its project (a CHECK of the table)
  const projectId = run.projectId!;
  return { id, projectId, status, progress, bundlePath, error, modelId, runner, createdAt: iso(run.createdAt), startedAt: iso(run.startedAt), finishedAt: iso(run.finishedAt) };
}

export async function runRoutes(app: FastifyInstance, { store, training, securityHeaders }: RunRoutesOptions): Promise<void> {
  const route = routeOptionsTagged('training');
  const events = runEventStreams(app, { subscribe: (id, listener) => training.subscribe(id, listener), read: (id) => requireTrainingRun(store, id), securityHeaders });

  app.get(
    '/runs',
    route(ADMIN, { summary: 'Training runs, newest first', response: { 200: { type: 'array', items: runSchema } } }),
    async () => (await store.runs.list(['training'])).map(runView),
  );

  app.post<{ Body: { projectId: number } }>(
    '/runs',
    route(ADMIN, {
      summary: "Train a model on a project's decided labels (queued; each trainer runs one at a time)",
      body: { type: 'object', required: ['projectId'], additionalProperties: false, properties: { projectId: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } } },
      response: { 202: runSchema },
    }),
    async (request, reply) => reply.code(202).send(runView(await training.launch(request.body.projectId, currentUser(request).id))),
  );

  app.get<ById>(
    '/runs/:id',
    route(ADMIN, { summary: 'One training run', params: idParams, response: { 200: runSchema } }),
    async (request) => runView(await requireTrainingRun(store, request.params.id)),
  );

  app.get<ById>(
    '/runs/:id/events',
    route(ADMIN, {
      summary: 'Live progress of a run (server-sent events)',
      description:
        'Each change is an event "run" with the run as JSON, starting with its current state. When the run ends, an event "end" follows and the stream closes (an EventSource should then call close()).',
      params: idParams,
      produces: ['text/event-stream'],
    }),
    async (request, reply) => events.stream(reply, request.params.id, runView),
  );

  app.post<ById>(
    '/runs/:id/cancel',
    route(ADMIN, { summary: 'Cancel a queued or running training run', params: idParams, response: { 200: runSchema } }),
    async (request) => runView(await training.cancel(await requireTrainingRun(store, request.params.id))),
  );
}
