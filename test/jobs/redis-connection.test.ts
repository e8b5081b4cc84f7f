import { describe, expect, it } from 'vitest';
import { isRedisUrl, redisOptionsOf } from '../../src/jobs/index.ts';
import { redactedUrl } from '../../src/util/index.ts';

describe('Redis URLs', () => {
  it('read host, port, database, credentials and TLS, or a unix socket', () => {
    expect(redisOptionsOf('redis://queue.lab:6380/2')).toMatchObject({ host: 'queue.lab', port: 6380, db: 2, tls: undefined, username: undefined, password: undefined });
    expect(redisOptionsOf('redis://localhost')).toMatchObject({ host: 'localhost', port: 6379, db: 0 });
    expect(redisOptionsOf('rediss://gram:p%40ss@[::1]:7000')).toMatchObject({ host: '::1', port: 7000, username: 'gram', password: 'p@ss', tls: {} });
    expect(redisOptionsOf('unix:///tmp/redis%20x/redis.sock?db=3')).toMatchObject({ path: '/tmp/redis x/redis.sock', db: 3 });
  });

  it('refuse what is not one, in one line naming it without its password', () => {
    expect(() => redisOptionsOf('redis://gram:secret@host:1/x')).toThrow('the Redis URL redis://gram:***@host:1/x names database "x", not a number');
    expect(() => redisOptionsOf('unix://')).toThrow(/names no socket/);
    expect(() => redisOptionsOf('http://host:6379')).toThrow('not a Redis URL: http://host:6379 (expected redis://, rediss:// or unix://)');
    expect(() => redisOptionsOf('redis://:secret@host:99999')).toThrow('not a valid Redis URL: redis://:***@host:99999 (expected redis://host:port, rediss://host:port or unix:///path/to/redis.sock)');
    expect([isRedisUrl('REDIS://h'), isRedisUrl('unix:///s'), isRedisUrl('postgres://h/db'), isRedisUrl('/tmp/redis.sock')]).toEqual([true, true, false, false]);
    expect(redactedUrl('redis://user:pw@h:1/0')).toBe('redis://user:***@h:1/0');
  });
});
