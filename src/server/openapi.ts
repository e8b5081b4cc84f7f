import type { FastifyInstance, FastifySchema } from 'fastify';
import { SESSION_COOKIE, type Access } from './access.ts';
import type { FormDataSchema } from './multipart.ts';
import { errorSchema } from './schemas.ts';

declare module 'fastify' {
  interface FastifySchema {
    summary?: string;
    description?: string;
    tags?: string[];
    /** Media types of a response that is not JSON (files, CSV, event streams). */
    produces?: string[];
    /** The multipart form a route reads (validated by readForm, not by Fastify). */
    formData?: FormDataSchema;
  }
}

export interface RouteDoc {
  method: string;
  url: string;
  schema: FastifySchema;
  access: Access | undefined;
}

type JsonObject = Record<string, unknown>;

/** Records every /api route as it is registered (HEAD twins of GET routes left out). */
export function collectApiRoutes(app: FastifyInstance): RouteDoc[] {
  const routes: RouteDoc[] = [];
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/')) return;
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      routes.push({ method, url: route.url, schema: route.schema ?? {}, access: route.config?.access });
    }
  });
  return routes;
}

function parametersOf(schema: unknown, location: 'path' | 'query'): JsonObject[] {
  const object = schema as { properties?: Record<string, JsonObject>; required?: string[] } | undefined;
  return Object.entries(object?.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (object?.required ?? []).includes(name),
    schema: property,
  }));
}

function responsesOf(schema: FastifySchema): JsonObject {
  const responses: JsonObject = {};
  const declared = (schema.response ?? {}) as Record<string, JsonObject | null>;
  for (const [status, body] of Object.entries(declared)) {
    responses[status] = status === '204' || body === null ? { description: 'No content' } : { description: 'Success', content: { 'application/json': { schema: body } } };
  }
  if (schema.produces) {
    const content = Object.fromEntries(schema.produces.map((mediaType) => [mediaType, { schema: { type: 'string', format: 'binary' } }]));
    responses['200'] = { description: 'Success', content };
  }
  if (Object.keys(responses).length === 0) responses['200'] = { description: 'Success' };
  responses['4XX'] = { description: 'The request was refused', content: { 'application/json': { schema: errorSchema } } };
  return responses;
}

function operationOf(route: RouteDoc): JsonObject {
  const { schema, access } = route;
  const isPublic = access === 'public';
  const operation: JsonObject = {
    operationId: `${route.method.toLowerCase()}${route.url.replace(/[^A-Za-z0-9]+/g, '_')}`,
    summary: schema.summary ?? '',
    ...(schema.description ? { description: schema.description } : {}),
    tags: schema.tags ?? [],
    'x-roles': isPublic ? [] : [...(access ?? [])],
    security: isPublic ? [] : [{ session: [] }],
    parameters: [...parametersOf(schema.params, 'path'), ...parametersOf(schema.querystring, 'query')],
    responses: responsesOf(schema),
  };
  if (schema.body) operation.requestBody = { required: true, content: { 'application/json': { schema: schema.body } } };
  if (schema.formData) operation.requestBody = { required: true, content: { 'multipart/form-data': { schema: schema.formData } } };
  return operation;
}

/** An OpenAPI 3.1 document built from the routes' own schemas (JSON Schema is valid OpenAPI 3.1). */
export function openApiDocument(routes: readonly RouteDoc[], version: string): JsonObject {
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operationOf(route);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'gramlens API', version, description: `Log in with POST /api/auth/login; the session travels in the ${SESSION_COOKIE} cookie.` },
    paths,
    components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE } } },
  };
}

export interface OpenApiRoutesOptions {
  routes: readonly RouteDoc[];
  version: string;
}

export async function openApiRoutes(app: FastifyInstance, options: OpenApiRoutesOptions): Promise<void> {
  let document: JsonObject | null = null;
  app.get(
    '/openapi.json',
    { config: { access: 'public' }, schema: { summary: 'This API as an OpenAPI 3.1 document', tags: ['docs'] } },
    async () => (document ??= openApiDocument(options.routes, options.version)),
  );
}
