import { resolve } from 'node:path';
import { DEFAULT_QUEUE_TIMINGS, isRedisUrl, redisOptionsOf, type QueueTimings } from '../jobs/index.ts';
import { DATABASE_FILE, isPostgresUrl } from '../store/index.ts';
import { redactedUrl } from '../util/index.ts';
import { UsageError, numberOption, stringOption, type OptionValues } from './command.ts';

/** --database, else GRAMLENS_DATABASE_URL, else none (the SQLite database in the data folder). */
export function databaseOf(values: OptionValues): string | undefined {
  const option = stringOption(values, 'database');
  const given = option ?? process.env.GRAMLENS_DATABASE_URL;
  if (given === undefined || given.trim() === '') return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(given) && !isPostgresUrl(given)) {
    throw new UsageError(`${option === undefined ? 'GRAMLENS_DATABASE_URL' : '--database'}: ${redactedUrl(given)} is neither a postgres:// URL nor a SQLite file path`);
  }
  return given;
}

/** Where the database is, for a log line: its URL without the password, or the SQLite file's full path. */
export function databaseText(database: string | undefined, dataDir: string): string {
  if (database === undefined) return resolve(dataDir, DATABASE_FILE);
  return isPostgresUrl(database) ? redactedUrl(database) : resolve(database);
}

/** --queue, else GRAMLENS_QUEUE_URL, else none (the local queue); a Redis URL when given. */
export function queueOf(values: OptionValues): string | undefined {
  const option = stringOption(values, 'queue');
  const given = option ?? process.env.GRAMLENS_QUEUE_URL;
  if (given === undefined || given.trim() === '') return undefined;
  const source = option === undefined ? 'GRAMLENS_QUEUE_URL' : '--queue';
  if (!isRedisUrl(given)) throw new UsageError(`${source}: ${redactedUrl(given)} is not a Redis URL (redis://host:port, rediss://host:port or unix:///path/to/redis.sock)`);
  try {
    redisOptionsOf(given);
  } catch (error) {
    throw new UsageError(`${source}: ${(error as Error).message}`);
  }
  return given;
}

/** The --queue option as the help texts of serve and worker give it, with their default. */
export function queueHelp(defaultText: string): string {
  return `  --queue URL         redis://host:port[/db], rediss://... or unix:///path/to/redis.sock: jobs
                      (training, scoring, re-explanation) go to a BullMQ queue on this Redis, taken
                      by \`gramlens worker\` processes (${defaultText})`;
}

/** --stall-seconds N: a worker's hold on its job lasts N s, and workers look for lapsed holds every N s. */
export function queueTimingsOf(values: OptionValues): QueueTimings {
  const seconds = numberOption(values, 'stall-seconds', { min: 1 });
  if (seconds === undefined) return DEFAULT_QUEUE_TIMINGS;
  return { ...DEFAULT_QUEUE_TIMINGS, lockDurationMs: seconds * 1000, stalledIntervalMs: seconds * 1000 };
}

export const STALL_HELP = `  --stall-seconds N   how soon the job of a worker that died passes to another: a worker's hold on
                      its job lasts N s unless renewed, and workers look for lapsed holds every N s
                      (default 30; the same on every worker)`;
