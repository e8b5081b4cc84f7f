import type { FastifySchema } from 'fastify';
import type { Access } from './access.ts';

/**
 * Builds the options every /api route of one OpenAPI tag declares: who may call it (config.access,
 * which enforceAccess requires and checks) and its schema, documented under that tag.
 */
export function routeOptionsTagged(tag: string) {
  return (access: Access, schema: Omit<FastifySchema, 'tags'>) => ({ config: { access }, schema: { ...schema, tags: [tag] } });
}
