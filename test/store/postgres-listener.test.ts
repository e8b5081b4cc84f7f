import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresListener } from '../../src/store/postgres-listener.ts';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A listening connection whose `SELECT 1` answers, or never answers (half-open: no error, nothing arrives). */
class FakeClient extends EventEmitter {
  heartbeats = 0;
  destroyed = false;
  constructor(private readonly halfOpen: boolean) {
    super();
  }
  async query(sql: string): Promise<{ rows: unknown[] }> {
    if (sql === 'SELECT 1') {
      this.heartbeats++;
      if (this.halfOpen) return new Promise(() => {});
    }
    if (sql.startsWith('SELECT current_schema()')) return { rows: [{ schema: 'public' }] };
    return { rows: [] };
  }
  release(destroy?: boolean): void {
    this.destroyed = destroy === true;
  }
}

/** A pool handing out the connections in `halfOpen` order (true: half-open), then healthy ones. */
function fakePool(halfOpen: boolean[]) {
  const clients: FakeClient[] = [];
  const pool = {
    async connect() {
      const client = new FakeClient(halfOpen[clients.length] ?? false);
      clients.push(client);
      return client;
    },
  };
  return { pool: pool as unknown as pg.Pool, clients };
}

function recordingHandlers() {
  const seen = { failures: [] as string[], reconnections: 0 };
  return { seen, handlers: { message: () => {}, reconnected: () => seen.reconnections++, failed: (error: Error) => seen.failures.push(error.message) } };
}

describe('the listening connection heartbeat', () => {
  const started: PostgresListener[] = [];
  afterEach(async () => {
    for (const listener of started.splice(0)) await listener.stop();
  });
  const listen = async (pool: pg.Pool, handlers: ReturnType<typeof recordingHandlers>['handlers']) => {
    const listener = new PostgresListener(pool, 'channel', handlers, { intervalMs: 30, timeoutMs: 50 });
    started.push(listener);
    await listener.start();
    return listener;
  };

  it('treats a connection that does not answer in time as lost: reconnects and tells the handlers to re-read', async () => {
    const { pool, clients } = fakePool([true]);
    const { seen, handlers } = recordingHandlers();
    await listen(pool, handlers);
    for (let i = 0; i < 100 && seen.reconnections === 0; i++) await pause(10);
    expect(seen.failures).toEqual(['the listening connection did not answer within 50 ms']);
    expect(seen.reconnections).toBe(1);
    expect(clients).toHaveLength(2);
    expect(clients[0].destroyed).toBe(true);
    // the new connection answers, and keeps being asked
    await pause(150);
    expect(clients[1].heartbeats).toBeGreaterThanOrEqual(2);
    expect(clients).toHaveLength(2);
  });

  it('keeps a connection that answers, and stops asking once stopped', async () => {
    const { pool, clients } = fakePool([]);
    const { seen, handlers } = recordingHandlers();
    const listener = await listen(pool, handlers);
    await pause(150);
    expect(clients[0].heartbeats).toBeGreaterThanOrEqual(2);
    expect(seen).toEqual({ failures: [], reconnections: 0 });
    await listener.stop();
    const asked = clients[0].heartbeats;
    await pause(100);
    expect(clients[0].heartbeats).toBe(asked);
  });
});

describe('the listening connection retries', () => {
  it('end when it is stopped', async () => {
    let attempts = 0;
    const pool = {
      async connect(): Promise<never> {
        attempts++;
        throw new Error('connect ECONNREFUSED');
      },
    } as unknown as pg.Pool;
    const { seen, handlers } = recordingHandlers();
    const listener = new PostgresListener(pool, 'channel', handlers);
    await listener.start();
    // retried after 0.1 s, then 0.2 s
    for (let i = 0; i < 100 && attempts < 3; i++) await pause(10);
    expect(attempts).toBe(3);
    await listener.stop();
    await pause(600);
    expect(attempts).toBe(3);
    expect(seen.failures.length).toBe(3);
  });
});
