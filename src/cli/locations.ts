import { isRedisUrl, redactedRedisUrl, redisOptionsOf } from '../jobs/index.ts';
import { isPostgresUrl, redactedUrl } from '../store/index.ts';
import { UsageError, stringOption, type OptionValues } from './command.ts';

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

/** --queue, else GRAMLENS_QUEUE_URL, else none (the local queue); a Redis URL when given. */
export function queueOf(values: OptionValues): string | undefined {
  const option = stringOption(values, 'queue');
  const given = option ?? process.env.GRAMLENS_QUEUE_URL;
  if (given === undefined || given.trim() === '') return undefined;
  const source = option === undefined ? 'GRAMLENS_QUEUE_URL' : '--queue';
  if (!isRedisUrl(given)) throw new UsageError(`${source}: ${redactedRedisUrl(given)} is not a Redis URL (redis://host:port, rediss://host:port or unix:///path/to/redis.sock)`);
  try {
    redisOptionsOf(given);
  } catch (error) {
    throw new UsageError(`${source}: ${(error as Error).message}`);
  }
  return given;
}

/** The --queue option as the help texts of serve and worker give it. */
export const QUEUE_HELP = `  --queue URL         redis://host:port[/db], rediss://... or unix:///path/to/redis.sock: training
                      runs go to a BullMQ queue on this Redis, taken by \`gramlens worker\` processes
                      (default: $GRAMLENS_QUEUE_URL, else none: this process trains them, one at a time)`;
