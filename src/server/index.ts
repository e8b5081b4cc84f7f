export { createServer, startServer, API_VERSION, type ListenOptions } from './server.ts';
export {
  DEFAULT_LIMITS,
  type DeviceModelFiles,
  type Predictor,
  type ServerLimits,
  type ServerOptions,
  type Trainer,
  type TrainingProgress,
} from './options.ts';
export { SESSION_COOKIE, type Access } from './access.ts';
export { openApiDocument, type RouteDoc } from './openapi.ts';
export { normaliseOrigin } from './request-origin.ts';
