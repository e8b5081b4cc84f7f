import type { RedisOptions } from 'ioredis';
import { redactedUrl } from '../util/index.ts';

/** Whether a queue location names Redis: redis://, rediss:// (TLS) or unix:// (a local socket). */
export function isRedisUrl(location: string): boolean {
  return /^(rediss?|unix):\/\//i.test(location);
}

/**
 * ioredis options for redis://[user:password@]host[:port][/db], rediss://... (TLS) or
 * unix:///path/to/redis.sock[?db=N]; a one-line error for anything else.
 */
export function redisOptionsOf(url: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`not a valid Redis URL: ${redactedUrl(url)} (expected redis://host:port, rediss://host:port or unix:///path/to/redis.sock)`);
  }
  const protocol = parsed.protocol.toLowerCase();
  const credentials = { username: decodeURIComponent(parsed.username) || undefined, password: decodeURIComponent(parsed.password) || undefined };
  if (protocol === 'unix:') {
    if (!parsed.pathname || parsed.pathname === '/') throw new Error(`the Redis URL ${redactedUrl(url)} names no socket`);
    return { ...credentials, path: decodeURIComponent(parsed.pathname), db: databaseNumber(parsed.searchParams.get('db'), url) };
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') throw new Error(`not a Redis URL: ${redactedUrl(url)} (expected redis://, rediss:// or unix://)`);
  if (!parsed.hostname) throw new Error(`the Redis URL ${redactedUrl(url)} names no host`);
  return {
    ...credentials,
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: parsed.port ? Number(parsed.port) : 6379,
    db: databaseNumber(parsed.pathname.slice(1) || null, url),
    tls: protocol === 'rediss:' ? {} : undefined,
  };
}

function databaseNumber(text: string | null, url: string): number {
  if (text === null || text === '') return 0;
  if (!/^\d+$/.test(text)) throw new Error(`the Redis URL ${redactedUrl(url)} names database "${text}", not a number`);
  return Number(text);
}
