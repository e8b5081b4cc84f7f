import { Redis, type RedisOptions } from 'ioredis';
import { redactedUrl } from '../util/index.ts';
import { redisOptionsOf } from './redis-url.ts';

/** A connection as BullMQ's workers need it: commands wait through reconnections instead of failing. */
export function connectRedis(options: RedisOptions, name: string): Redis {
  return new Redis({ ...options, connectionName: name, maxRetriesPerRequest: null });
}

/** Connects once (no retries) and checks the server can hold BullMQ's queue; a one-line error otherwise. */
export async function checkRedis(url: string, timeoutMs = 5000): Promise<void> {
  const options = redisOptionsOf(url);
  const client = new Redis({ ...options, lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // what went wrong (e.g. ECONNREFUSED); connect() itself rejects with "Connection is closed."
  let connectionError: Error | undefined;
  client.on('error', (error: Error) => (connectionError ??= error));
  try {
    await client.connect();
    const info = await client.info('server');
    const version = /redis_version:(\d+)/.exec(info)?.[1];
    if (version !== undefined && Number(version) < 5) throw new Error(`Redis ${version} is too old (5 or newer is needed)`);
  } catch (thrown) {
    const error = connectionError ?? thrown;
    const reason = (error as Error).message || (error as { code?: string }).code || String(error);
    throw new Error(`cannot use the Redis queue ${redactedUrl(url)}: ${reason}`);
  } finally {
    client.disconnect();
  }
}
