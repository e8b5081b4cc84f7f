import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations } from './annotations.ts';
import { systemClock, type Clock } from './clock.ts';
import { openDatabase } from './database.ts';
import { Decisions } from './decisions.ts';
import { FolderBlobStore, removeStaleTempFiles } from './blob-store.ts';
import { Images, IMAGES_FOLDER } from './images.ts';
import { BatchScores, Reexplanations } from './job-results.ts';
import { LoginAttempts, type LoginRateLimit } from './login-attempts.ts';
import { Models } from './models.ts';
import { Predictions } from './predictions.ts';
import { Projects } from './projects.ts';
import { Runs } from './runs.ts';
import { Sessions } from './sessions.ts';
import type { Sql } from './sql.ts';
import { PasswordHashPool, type PasswordHasher } from './password-hasher.ts';
import { checkBcryptCost, MIN_BCRYPT_COST, Users } from './users.ts';

export const DATABASE_FILE = 'gramlens.sqlite';

export interface StoreOptions {
  /**
   * Holds images/ (a FolderBlobStore, which servers sharing a database share, e.g. on a network
   * volume) and heatmaps/ (and the SQLite database unless `database` says otherwise). Created if missing.
   */
  dataDir: string;
  /** A postgres:// URL, or the path of a SQLite file; default: DATABASE_FILE in dataDir. */
  database?: string;
  clock?: Clock;
  /** bcrypt cost for new password hashes; at least 10 (the default). */
  bcryptCost?: number;
  loginRateLimit?: LoginRateLimit;
  /** Where bcrypt runs (default: one worker thread, 16 jobs queued at most); closed with the store. */
  passwordHasher?: PasswordHasher;
}

export const DEFAULT_LOGIN_RATE_LIMIT: LoginRateLimit = { maxFailures: 5, windowMs: 60_000 };

export interface Store {
  readonly dataDir: string;
  readonly db: Sql;
  readonly users: Users;
  readonly sessions: Sessions;
  readonly loginAttempts: LoginAttempts;
  readonly images: Images;
  readonly projects: Projects;
  readonly annotations: Annotations;
  readonly decisions: Decisions;
  readonly models: Models;
  readonly predictions: Predictions;
  readonly runs: Runs;
  readonly batchScores: BatchScores;
  readonly reexplanations: Reexplanations;
  close(): Promise<void>;
}

/** Opens the store: the database (created and migrated as needed) and the files in dataDir. */
export async function openStore(options: StoreOptions): Promise<Store> {
  const { dataDir } = options;
  const clock = options.clock ?? systemClock;
  mkdirSync(dataDir, { recursive: true });
  // where images were written before the BlobStore: leftovers of writes it interrupted
  const formerTempFolder = join(dataDir, 'tmp');
  if (existsSync(formerTempFolder)) removeStaleTempFiles(formerTempFolder);
  const bcryptCost = options.bcryptCost ?? MIN_BCRYPT_COST;
  checkBcryptCost(bcryptCost);
  const db = await openDatabase(options.database ?? join(dataDir, DATABASE_FILE));
  const projects = new Projects(db, clock);
  const annotations = new Annotations(db, clock, projects);
  const hasher = options.passwordHasher ?? new PasswordHashPool();
  return {
    dataDir,
    db,
    users: new Users(db, clock, bcryptCost, hasher),
    sessions: new Sessions(db, clock),
    loginAttempts: new LoginAttempts(db, clock, options.loginRateLimit ?? DEFAULT_LOGIN_RATE_LIMIT),
    images: new Images(db, new FolderBlobStore(join(dataDir, IMAGES_FOLDER)), clock),
    projects,
    annotations,
    decisions: new Decisions(db, clock, projects, annotations),
    models: new Models(db, clock),
    predictions: new Predictions(db, dataDir, clock),
    runs: new Runs(db, clock),
    batchScores: new BatchScores(db, clock),
    reexplanations: new Reexplanations(db, dataDir, clock),
    close: async () => {
      hasher.close();
      await db.close();
    },
  };
}
