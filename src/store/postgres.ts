import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { PostgresListener, scopedChannel } from './postgres-listener.ts';
import type { ChannelHandlers, Listening, Sql } from './sql.ts';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** Integers as numbers, as SQLite gives them: ids, counts and millisecond times all fit in 2^53. */
const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (text: string) => Number(text);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/** Every gramlens write transaction takes this lock, so they run one at a time as SQLite's do. */
const WRITE_LOCK_KEY = 0x6772616d; // "gram"
/** Under the server's plugin timeout (10 s), so an unreachable server is reported as such. */
const CONNECT_TIMEOUT_MS = 5000;

/** `?` placeholders as PostgreSQL's `$1, $2, ...`, outside quoted strings and identifiers. */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  let quote: string | null = null;
  let out = '';
  for (const c of sql) {
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '?') {
      out += `$${++n}`;
      continue;
    }
    out += c;
  }
  return out;
}

/** PostgreSQL through a pg Pool; the transaction in progress (if any) is found by async context. */
export class PostgresSql implements Sql {
  readonly dialect = 'postgres';
  private readonly pool: pg.Pool;
  private readonly client = new AsyncLocalStorage<pg.PoolClient>();
  private readonly listeners = new Set<PostgresListener>();
  private schema: Promise<string> | null = null;

  constructor(connectionString: string, poolSize = 10) {
    // keepAlive (probing after 30 s idle rather than the OS's 2 h): a connection that a network failure
    // cut is noticed; a listening one also has a heartbeat of its own (PostgresListener)
    this.pool = new pg.Pool({ connectionString, max: poolSize, types: TYPES, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true, keepAliveInitialDelayMillis: 30_000 });
    // an idle client's error (e.g. the server restarting) must not crash the process; the next query reports it
    this.pool.on('error', () => {});
  }

  async all<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    return (await this.query(sql, params)).rows as Row[];
  }

  async get<Row>(sql: string, params: readonly unknown[] = []): Promise<Row | undefined> {
    return (await this.query(sql, params)).rows[0] as Row | undefined;
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    return (await this.query(sql, params)).rowCount ?? 0;
  }

  async exec(script: string): Promise<void> {
    await (this.client.getStore() ?? this.pool).query(script);
  }

  async transaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.client.getStore()) return work();
    const client = await this.pool.connect();
    let broken: unknown;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK_KEY]);
      const result = await this.client.run(client, work);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => (broken = rollbackError));
      throw error;
    } finally {
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  async notify(channel: string, payload: string): Promise<void> {
    await this.run('SELECT pg_notify(?, ?)', [scopedChannel(channel, await this.currentSchema()), payload]);
  }

  async listen(channel: string, handlers: ChannelHandlers): Promise<Listening> {
    const listener = new PostgresListener(this.pool, channel, handlers);
    this.listeners.add(listener);
    await listener.start();
    return {
      stop: async () => {
        this.listeners.delete(listener);
        await listener.stop();
      },
    };
  }

  async close(): Promise<void> {
    // a listening connection is never returned to the pool, which would wait for it
    await Promise.all([...this.listeners].map((listener) => listener.stop()));
    this.listeners.clear();
    await this.pool.end();
  }

  private currentSchema(): Promise<string> {
    this.schema ??= this.get<{ schema: string }>('SELECT current_schema() AS schema').then(
      (row) => row!.schema,
      (error: unknown) => {
        this.schema = null;
        throw error;
      },
    );
    return this.schema;
  }

  private query(sql: string, params: readonly unknown[]): Promise<pg.QueryResult> {
    return (this.client.getStore() ?? this.pool).query(numberPlaceholders(sql), params as unknown[]);
  }
}
