import { randomBytes } from 'node:crypto';
import { afterAll, describe } from 'vitest';
import { redisOptionsOf } from '../../src/jobs/index.ts';

/** The Redis server the tests may use (the CI sets it; see .ci/run), e.g. unix:///tmp/redis/redis.sock. */
export const REDIS_URL = process.env.GRAMLENS_TEST_REDIS_URL?.trim() || undefined;

/** Timings that make a dead worker's job pass to another within about two seconds. */
export const FAST_TIMINGS = { lockDurationMs: 1000, stalledIntervalMs: 500, maxStalledCount: 2 };

/** A namespace of its own for one suite's queue, its keys deleted after the suite. */
export function freshPrefix(url: string): string {
  const prefix = `gramlens-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    const { Redis } = await import('ioredis');
    const client = new Redis(redisOptionsOf(url));
    try {
      const keys = await client.keys(`${prefix}:*`);
      if (keys.length > 0) await client.del(...keys);
    } finally {
      client.disconnect();
    }
  });
  return prefix;
}

let warned = false;

/** `describe` with the Redis URL when GRAMLENS_TEST_REDIS_URL is set; otherwise reported as skipped, with the reason in its name. */
export function describeRedis(title: string, body: (url: string) => void): void {
  if (REDIS_URL) {
    describe(`${title} [Redis]`, () => body(REDIS_URL));
    return;
  }
  if (!warned) {
    warned = true;
    console.warn('Redis queue tests skipped: GRAMLENS_TEST_REDIS_URL is not set (.ci/run sets it)');
  }
  describe.skip(`${title} [Redis: skipped, GRAMLENS_TEST_REDIS_URL is not set]`, () => body(''));
}
