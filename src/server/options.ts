import type { FastifyServerOptions } from 'fastify';
import type { FieldPredictorResult, PredictorResult, WholeFieldResult } from '../contract/index.ts';
import type { JobModels, RedisQueueOptions, Trainer } from '../jobs/index.ts';
import { DEFAULT_MAX_FAILURES_OVERALL, DEFAULT_MAX_FAILURES_PER_IP, type ModelRecord } from '../store/index.ts';

/** The model behind POST /api/predict; the real one is wired by the caller, tests inject a fake. */
export interface Predictor {
  /**
   * `image` is the stored image: decoded, upright, re-encoded without metadata. A photo far larger
   * than the model's input may be read as a whole field (WholeFieldResult, answered like
   * POST /api/predict/field without force).
   */
  predict(image: Buffer): Promise<PredictorResult | WholeFieldResult>;
  /**
   * POST /api/predict/field: a whole microscope photo cut into tiles; absent when the server cannot
   * read fields. An error named 'FieldUnsupportedError' means the active model cannot (answered 422).
   */
  predictField?(image: Buffer, options: { pxPerUm?: number; force: boolean }): Promise<FieldPredictorResult>;
  /** Called before an admin's activation is committed; if it throws, the previous model stays active. */
  activate?(model: ModelRecord): Promise<void>;
  /** The running model's files for on-device inference (GET /api/models/active/...); null when none is running or it has no ONNX model. */
  deviceFiles?(): Promise<DeviceModelFiles | null>;
}

/** What the server hands the web app to run its model on the device. */
export interface DeviceModelFiles {
  modelVersion: string;
  /** The bundle's ONNX file on disk. */
  onnxPath: string;
  /** The part of metadata.json the page reads (classes, tree, input, calibration, out-of-distribution statistics, field decision). */
  metadata: Record<string, unknown>;
  /** The head's dense kernel (closed-form Grad-CAM), null without one. */
  denseKernel: Float32Array | null;
}

export type { Trainer, TrainingProgress } from '../jobs/index.ts';

export interface ServerLimits {
  /** Largest accepted image upload (default 20 MB); larger ones get 413. */
  maxUploadBytes: number;
  /** Largest accepted image by pixel count, read from the header before decoding (default 40 MP). */
  maxImagePixels: number;
  /**
   * Pixels being decoded at once across all uploads and predictions (default 48 MP: one photo at the
   * pixel limit, or several smaller ones): storing and predicting take memory in proportion to pixels.
   */
  maxDecodingPixels: number;
  /** Uploads allowed to wait for the decode budget (default 64); beyond, 503 with Retry-After. */
  maxWaitingDecodes: number;
  /** Largest JSON request body (default 1 MB). */
  maxJsonBytes: number;
  /** Failed logins allowed per username and IP within loginWindowMs before 429 (default 5 per minute). */
  loginMaxFailures: number;
  /** Failed logins allowed per IP, whatever the usernames, within loginWindowMs (default 30). */
  loginMaxFailuresPerIp: number;
  /** Failed logins allowed from everywhere within loginWindowMs (default 300): bounds the password hashing a flood causes. */
  loginMaxFailuresOverall: number;
  loginWindowMs: number;
  /** Worker threads checking passwords (default 1) and checks allowed to wait for one (default 16; beyond, 503). */
  passwordThreads: number;
  maxQueuedPasswordChecks: number;
  /** Session lifetime (default 12 hours). */
  sessionTtlMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxUploadBytes: 20 * 1024 * 1024,
  maxImagePixels: 40_000_000,
  maxDecodingPixels: 48_000_000,
  maxWaitingDecodes: 64,
  maxJsonBytes: 1024 * 1024,
  loginMaxFailures: 5,
  loginMaxFailuresPerIp: DEFAULT_MAX_FAILURES_PER_IP,
  loginMaxFailuresOverall: DEFAULT_MAX_FAILURES_OVERALL,
  loginWindowMs: 60_000,
  passwordThreads: 1,
  maxQueuedPasswordChecks: 16,
  sessionTtlMs: 12 * 60 * 60 * 1000,
};

export interface ServerOptions {
  /** Images, heatmaps, training manifests and (unless `database` says otherwise) the SQLite database live here. */
  dataDir: string;
  /** A postgres:// URL, or the path of a SQLite file; default: the SQLite database in dataDir. */
  database?: string;
  /** The built web app (e.g. src/web/dist), served with a fallback to index.html for non-API paths. */
  staticDir?: string;
  predictor?: Predictor;
  /** Trains the runs launched from the admin page: with the local queue (the default), or with `queue.runJobs`. */
  trainer?: Trainer;
  /** Load the models that scoring and re-explanation jobs run with, as the trainer trains (see `trainer`). */
  jobModels?: JobModels;
  /**
   * Jobs (training, scoring, re-explanation) go to BullMQ on this Redis, for `gramlens worker`
   * processes (and this server with `runJobs`); without it this process runs them, one at a time.
   */
  queue?: RedisQueueOptions & { runJobs?: boolean };
  limits?: Partial<ServerLimits>;
  /**
   * Origins besides the server's own (scheme://Host of each request) whose pages may send
   * state-changing requests, e.g. a reverse proxy's public address "https://gramlens.example.org".
   */
  allowedOrigins?: readonly string[];
  /** Served over https (directly or by a proxy): Secure cookies and HSTS. */
  behindHttps?: boolean;
  /** Passed to Fastify: trust X-Forwarded-For from these proxies for the client IP (rate limiting). */
  trustProxy?: FastifyServerOptions['trustProxy'];
  /** Created at startup when the database has no users yet. */
  initialAdmin?: { username: string; password: string };
  logger?: FastifyServerOptions['logger'];
  /** bcrypt cost for new password hashes (at least 10). */
  bcryptCost?: number;
  /**
   * The version the audit trail records for the bundle in this folder (its own, from its metadata):
   * checks the model version a device claims for a prediction it made offline. Without it,
   * device predictions are refused (501).
   */
  bundleVersionOf?: (bundlePath: string) => Promise<string>;
  /** For tests: milliseconds since the epoch. */
  clock?: () => number;
}
