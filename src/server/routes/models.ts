import { stat } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import type { ModelRecord, Store } from '../../store/index.ts';
import { ADMIN, CLINICAL } from '../access.ts';
import { HttpError } from '../errors.ts';
import type { Predictor } from '../options.ts';
import { routeOptionsTagged } from '../route-options.ts';
import { anyJson, idParams, iso, timeSchema, type ById } from '../schemas.ts';

export interface ModelRoutesOptions {
  store: Store;
  predictor: Predictor | undefined;
}

export const modelSchema = {
  type: 'object',
  required: ['id', 'path', 'name', 'version', 'metrics', 'createdAt', 'active'],
  properties: {
    id: { type: 'integer' },
    path: { type: 'string' },
    name: { type: 'string' },
    version: { type: 'string' },
    metrics: anyJson,
    createdAt: timeSchema,
    active: { type: 'boolean' },
  },
} as const;

export function modelView(model: ModelRecord) {
  return { ...model, createdAt: iso(model.createdAt) };
}

export async function modelRoutes(app: FastifyInstance, { store, predictor }: ModelRoutesOptions): Promise<void> {
  const route = routeOptionsTagged('models');

  app.get(
    '/models',
    route(CLINICAL, { summary: 'Registered model bundles; one is active', response: { 200: { type: 'array', items: modelSchema } } }),
    async () => store.models.list().map(modelView),
  );

  app.post<{ Body: { path: string; name: string; version: string; metrics?: unknown } }>(
    '/models',
    route(ADMIN, {
      summary: 'Register a model bundle folder on the server (inactive until activated)',
      body: {
        type: 'object',
        required: ['path', 'name', 'version'],
        additionalProperties: false,
        properties: {
          path: { type: 'string', minLength: 1, maxLength: 4096 },
          name: { type: 'string', minLength: 1, maxLength: 200 },
          version: { type: 'string', minLength: 1, maxLength: 200 },
          metrics: { type: 'object' },
        },
      },
      response: { 201: modelSchema },
    }),
    async (request, reply) => {
      const info = await stat(request.body.path).catch(() => null);
      if (!info?.isDirectory()) throw new HttpError(400, `no bundle folder at ${request.body.path}`);
      return reply.code(201).send(modelView(store.models.register(request.body)));
    },
  );

  app.post<ById>(
    '/models/:id/activate',
    route(ADMIN, {
      summary: 'Make this model the active one (atomically; the previous one stays active if loading fails)',
      params: idParams,
      response: { 200: modelSchema },
    }),
    async (request) => {
      const model = store.models.require(request.params.id);
      if (predictor?.activate) {
        try {
          await predictor.activate(model);
        } catch (error) {
          request.log.error({ err: error }, 'model activation failed');
          throw new HttpError(422, `the model could not be loaded: ${(error as Error).message}`);
        }
      }
      return modelView(store.models.activate(model.id));
    },
  );
}
