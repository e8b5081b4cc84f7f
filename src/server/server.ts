import fastifyCookie from '@fastify/cookie';
import fastifyMultipart from '@fastify/multipart';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { checkRedis, LocalJobQueue, openRedisJobQueue, type JobQueue } from '../jobs/index.ts';
import { openStore, PasswordHashPool, type Store } from '../store/index.ts';
import { enforceAccess } from './access.ts';
import { DecodeBudget } from './decode-budget.ts';
import { createErrorHandler } from './errors.ts';
import { collectApiRoutes, openApiRoutes } from './openapi.ts';
import { DEFAULT_LIMITS, type ServerOptions } from './options.ts';
import { agreementRoutes, annotationRoutes, authRoutes, deviceModelRoutes, deviceSyncRoutes, imageRoutes, jobRoutes, modelRoutes, predictionRoutes, projectImageRoutes, projectRoutes, runRoutes, userRoutes } from './routes/index.ts';
import { refuseNonFiniteNumbers } from './finite-numbers.ts';
import { guardStateChanges, normaliseOrigin } from './request-origin.ts';
import { addSecurityHeaders, securityHeaders } from './security.ts';
import { ServedModel } from './served-model.ts';
import { notFoundHandler, serveStaticSite } from './static-site.ts';
import { TrainingRuns } from './training.ts';
import { BatchJobs } from './batch-jobs.ts';

export const API_VERSION = '1.0.0';

/**
 * The gramlens HTTP API (and, with staticDir, the web app). Opens the store (files in dataDir, the
 * database there or at options.database) while the plugins load, so app.ready() fails with the
 * store's error (e.g. an unreachable PostgreSQL); closes it with the server. Nothing listens until
 * startServer (or app.listen); tests can use app.inject.
 */
export function createServer(options: ServerOptions): FastifyInstance {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const allowedOrigins = (options.allowedOrigins ?? []).map(normaliseOrigin);
  const behindHttps = options.behindHttps ?? false;
  const headers = securityHeaders(behindHttps);
  const imageLimits = { maxBytes: limits.maxUploadBytes, maxPixels: limits.maxImagePixels };
  const decodeBudget = new DecodeBudget(limits.maxDecodingPixels, limits.maxWaitingDecodes);
  const passwordHasher = new PasswordHashPool({ threads: limits.passwordThreads, maxQueued: limits.maxQueuedPasswordChecks });
  const opening = openStore({
    dataDir: options.dataDir,
    database: options.database,
    clock: options.clock,
    bcryptCost: options.bcryptCost,
    loginRateLimit: {
      maxFailures: limits.loginMaxFailures,
      maxFailuresPerIp: limits.loginMaxFailuresPerIp,
      maxFailuresOverall: limits.loginMaxFailuresOverall,
      windowMs: limits.loginWindowMs,
    },
    passwordHasher,
  });
  // reported by app.ready(), through the first plugin below
  opening.catch(() => passwordHasher.close());

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: limits.maxJsonBytes,
    trustProxy: options.trustProxy ?? false,
  });
  // Set by the first plugin; every use below runs while later plugins load or requests are answered.
  let store!: Store;
  let queue!: JobQueue;
  let training!: TrainingRuns;
  let jobs!: BatchJobs;
  let servedModel!: ServedModel;
  app.register(async () => {
    const opened = await opening;
    queue = await openJobQueue(opened, options, app.log).catch(async (error: unknown) => {
      await opened.close();
      throw error;
    });
    store = opened;
    training = new TrainingRuns(store, queue);
    jobs = new BatchJobs(store, queue);
    servedModel = new ServedModel(store, options.predictor, app.log);
  });
  app.addHook('onClose', async () => {
    if (!store) return;
    try {
      await servedModel.close();
      await queue.close();
    } finally {
      await store.close();
    }
  });

  app.setErrorHandler(createErrorHandler({ uploadTooLarge: `the image is larger than the ${limits.maxUploadBytes / (1024 * 1024)} MB upload limit` }));
  app.setNotFoundHandler(notFoundHandler(options.staticDir !== undefined));
  addSecurityHeaders(app, headers);
  // Before the session check, so a forged request is refused whoever's cookie it carries.
  guardStateChanges(app, allowedOrigins);
  refuseNonFiniteNumbers(app);
  const apiRoutes = collectApiRoutes(app);

  app.register(fastifyMultipart, {
    limits: { fileSize: limits.maxUploadBytes, files: 1, fields: 10, fieldSize: 64 * 1024, parts: 12, headerPairs: 100 },
  });
  // After the cookie plugin, so its cookie parsing runs before the session check.
  app.register(fastifyCookie).after(() => enforceAccess(app, store));
  app.register(async () => {
    await store.sessions.purgeExpired();
    if (options.initialAdmin) await store.users.ensureInitialAdmin(options.initialAdmin.username, options.initialAdmin.password);
    await queue.start();
    await servedModel.start();
  });

  app.register(
    async (api) => {
      api.register(authRoutes, { store, sessionTtlMs: limits.sessionTtlMs, secureCookies: behindHttps });
      api.register(userRoutes, { store });
      api.register(predictionRoutes, { store, predictor: options.predictor, imageLimits, decodeBudget, servedModel });
      api.register(deviceSyncRoutes, { store, servedModel, imageLimits, decodeBudget, bundleVersionOf: options.bundleVersionOf, clock: options.clock ?? Date.now });
      api.register(imageRoutes, { store });
      api.register(projectRoutes, { store });
      api.register(projectImageRoutes, { store, imageLimits, decodeBudget });
      api.register(annotationRoutes, { store });
      api.register(agreementRoutes, { store });
      api.register(modelRoutes, { store, servedModel });
      api.register(deviceModelRoutes, { predictor: options.predictor, servedModel });
      api.register(runRoutes, { store, training, securityHeaders: headers });
      api.register(jobRoutes, { store, jobs, training, securityHeaders: headers });
      api.register(openApiRoutes, { routes: apiRoutes, version: API_VERSION });
    },
    { prefix: '/api' },
  );
  if (options.staticDir) app.register(async (site) => serveStaticSite(site, options.staticDir!));
  return app;
}

/** The local queue (this process runs the jobs), or BullMQ on Redis (this process runs jobs only if told to); a one-line error if Redis cannot be used. */
async function openJobQueue(store: Store, options: ServerOptions, log: FastifyBaseLogger): Promise<JobQueue> {
  const means = { trainer: options.trainer, models: options.jobModels };
  if (!options.queue) return new LocalJobQueue(store, means, log);
  const { runJobs = false, ...redis } = options.queue;
  await checkRedis(redis.url);
  return openRedisJobQueue({ ...redis, store, log, worker: runJobs ? means : undefined });
}

export interface ListenOptions {
  host?: string;
  port?: number;
}

/**
 * createServer + listen (default 127.0.0.1:8080). Without initialAdmin, GRAMLENS_ADMIN_PASSWORD
 * (and optionally GRAMLENS_ADMIN_USERNAME, default "admin") create the first admin of an empty database.
 */
export async function startServer(options: ServerOptions & ListenOptions): Promise<FastifyInstance> {
  const password = process.env.GRAMLENS_ADMIN_PASSWORD;
  const initialAdmin = options.initialAdmin ?? (password ? { username: process.env.GRAMLENS_ADMIN_USERNAME ?? 'admin', password } : undefined);
  const app = createServer({ logger: true, ...options, initialAdmin });
  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8080 });
  return app;
}
