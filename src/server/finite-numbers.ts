import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors.ts';

function hasNonFiniteNumber(value: unknown, depth = 0): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (typeof value !== 'object' || value === null || depth > 64) return false;
  return Object.values(value).some((inner) => hasNonFiniteNumber(inner, depth + 1));
}

/**
 * "1e400" in a query string or a JSON body becomes Infinity, which passes JSON Schema's integer and
 * maximum checks after coercion: refused here (400), after validation and before any handler.
 */
export function refuseNonFiniteNumbers(app: FastifyInstance): void {
  app.addHook('preHandler', async (request) => {
    for (const [part, value] of [['params', request.params], ['querystring', request.query], ['body', request.body]] as const) {
      if (hasNonFiniteNumber(value)) throw new HttpError(400, `${part}: numbers must be finite (got an overflowing number such as 1e400)`);
    }
  });
}
