export { createServer, startServer, type ListenOptions } from './server.ts';
export { type Predictor, type ServerLimits, type ServerOptions, type Trainer, type TrainingProgress } from './options.ts';
export { type Access } from './access.ts';
export { type RouteDoc } from './openapi.ts';
