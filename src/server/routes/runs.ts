import type { FastifyInstance } from 'fastify';
import type { TrainingRun } from '../../contract/index.ts';
import { isFinished, RUN_STATUSES, type RunRecord, type Store } from '../../store/index.ts';
import { ADMIN, currentUser } from '../access.ts';
import { routeOptionsTagged } from '../route-options.ts';
import { anyJson, idParams, iso, timeSchema, type ById } from '../schemas.ts';
import type { TrainingRuns } from '../training.ts';

export interface RunRoutesOptions {
  store: Store;
  training: TrainingRuns;
  /** Written on hijacked (event stream) responses, which bypass the onSend hooks. */
  securityHeaders: Record<string, string>;
}

const HEARTBEAT_MS = 15_000;

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

function runView(run: RunRecord): TrainingRun {
  const { id, projectId, status, progress, bundlePath, error, modelId, runner } = run;
  return { id, projectId, status, progress, bundlePath, error, modelId, runner, createdAt: iso(run.createdAt), startedAt: iso(run.startedAt), finishedAt: iso(run.finishedAt) };
}

export async function runRoutes(app: FastifyInstance, { store, training, securityHeaders }: RunRoutesOptions): Promise<void> {
  const route = routeOptionsTagged('training');
  // Open event streams would keep close() waiting forever: end them first.
  const openStreams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const stop of [...openStreams]) stop();
  });

  app.get(
    '/runs',
    route(ADMIN, { summary: 'Training runs, newest first', response: { 200: { type: 'array', items: runSchema } } }),
    async () => (await store.runs.list()).map(runView),
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
    async (request) => runView(await store.runs.require(request.params.id)),
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
    async (request, reply) => {
      const initial = await store.runs.require(request.params.id);
      reply.hijack();
      const stream = reply.raw;
      stream.writeHead(200, {
        ...securityHeaders,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      let open = true;
      const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), HEARTBEAT_MS);
      const stop = (): void => {
        if (!open) return;
        open = false;
        openStreams.delete(stop);
        clearInterval(heartbeat);
        unsubscribe();
        stream.end();
      };
      openStreams.add(stop);
      const send = (run: RunRecord): void => {
        if (!open) return;
        const data = JSON.stringify(runView(run));
        stream.write(`event: run\ndata: ${data}\n\n`);
        if (isFinished(run.status)) {
          stream.write(`event: end\ndata: ${data}\n\n`);
          stop();
        }
      };
      const unsubscribe = training.subscribe(initial.id, send);
      stream.on('close', stop);
      send(await store.runs.require(initial.id));
    },
  );

  app.post<ById>(
    '/runs/:id/cancel',
    route(ADMIN, { summary: 'Cancel a queued or running training run', params: idParams, response: { 200: runSchema } }),
    async (request) => runView(await training.cancel(request.params.id)),
  );
}
