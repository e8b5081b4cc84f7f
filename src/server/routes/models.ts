import { existsSync, readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Role } from '../../contract/index.ts';
import type { ModelRecord, Store } from '../../store/index.ts';
import { ADMIN, CLINICAL, currentUser } from '../access.ts';
import { HttpError } from '../errors.ts';
import type { ServedModel } from '../served-model.ts';
import { routeOptionsTagged } from '../route-options.ts';
import { anyJson, idParams, iso, timeSchema, type ById } from '../schemas.ts';

export interface ModelRoutesOptions {
  store: Store;
  /** Activation loads the model here (once no prediction is using the old one), then commits it for every server. */
  servedModel: ServedModel;
}

export const modelSchema = {
  type: 'object',
  required: ['id', 'name', 'version', 'metrics', 'createdAt', 'active'],
  properties: {
    id: { type: 'integer' },
    path: { type: 'string', description: "the bundle's folder on the server (admins only)" },
    name: { type: 'string' },
    version: { type: 'string' },
    metrics: anyJson,
    createdAt: timeSchema,
    active: { type: 'boolean' },
    inputPxPerUm: { type: ['number', 'null'], description: "the scale the model reads photos at (pixels per µm), from its bundle; the web app shrinks photos to it before upload" },
    reportUrl: { type: ['string', 'null'], description: "the evaluation report of the model's training run (HTML), or null when none was written" },
  },
} as const;

/**
 * The HTML report of the run that wrote the bundle: `gramlens train --out RUN` and the server's
 * trainer write RUN/model and RUN/report, `gramlens demo` writes OUT/run/model and OUT/report.
 */
function reportPathOf(model: ModelRecord): string | null {
  const candidates = [join(dirname(model.path), 'report', 'report.html'), join(dirname(dirname(model.path)), 'report', 'report.html')];
  return candidates.find((path) => existsSync(path)) ?? null;
}

const inputScales = new Map<string, number | null>();

/** The bundle's input scale (metadata.json input.pxPerUm), read once per bundle; null when it records none or cannot be read. */
function inputPxPerUmOf(model: ModelRecord): number | null {
  if (!inputScales.has(model.path)) {
    let scale: number | null = null;
    try {
      const value = (JSON.parse(readFileSync(join(model.path, 'metadata.json'), 'utf8')) as { input?: { pxPerUm?: unknown } }).input?.pxPerUm;
      scale = typeof value === 'number' && value > 0 ? value : null;
    } catch {
      // No readable metadata: the scale stays unknown.
    }
    inputScales.set(model.path, scale);
  }
  return inputScales.get(model.path)!;
}

export function modelView(model: ModelRecord) {
  return { ...model, createdAt: iso(model.createdAt), reportUrl: reportPathOf(model) ? `/api/models/${model.id}/report` : null, inputPxPerUm: inputPxPerUmOf(model) };
}

/** The report is self-contained: inline styles and data: images, no script. */
const REPORT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Server file paths are for admins: other roles see the model without its folder. */
function modelViewFor(role: Role, model: ModelRecord) {
  const { path, ...rest } = modelView(model);
  return role === 'admin' ? { path, ...rest } : rest;
}

export async function modelRoutes(app: FastifyInstance, { store, servedModel }: ModelRoutesOptions): Promise<void> {
  const route = routeOptionsTagged('models');

  app.get(
    '/models',
    route(CLINICAL, {
      summary: 'Registered model bundles; one is active',
      description: "Admins also see each bundle's folder on the server (path).",
      response: { 200: { type: 'array', items: modelSchema } },
    }),
    async (request) => (await store.models.list()).map((model) => modelViewFor(currentUser(request).role, model)),
  );

  app.get<ById>(
    '/models/:id/report',
    route(CLINICAL, {
      summary: "The evaluation report of the model's training run (self-contained HTML)",
      params: idParams,
      produces: ['text/html'],
    }),
    async (request, reply) => {
      const path = reportPathOf(await store.models.require(request.params.id));
      if (!path) throw new HttpError(404, 'this model has no evaluation report');
      return reply.type('text/html; charset=utf-8').header('content-security-policy', REPORT_POLICY).send(await readFile(path));
    },
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
      return reply.code(201).send(modelView(await store.models.register(request.body)));
    },
  );

  app.post<ById>(
    '/models/:id/activate',
    route(ADMIN, {
      summary: 'Make this model the active one (atomically; the previous one stays active if loading fails)',
      description:
        'Loads the model on this server first (422, nothing changed, when it cannot), then makes it the active model; every server sharing a ' +
        'PostgreSQL database is told and loads it too (one that cannot refuses predictions with 503 until it can; activating again retries).',
      params: idParams,
      response: { 200: modelSchema },
    }),
    async (request) => modelView(await servedModel.activate(request.params.id)),
  );
}
