import { createHash } from 'node:crypto';
import pg from 'pg';
import type { ChannelHandlers, Listening } from './sql.ts';

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5000;
/** How often the listening connection is asked `SELECT 1`, and how long it has to answer. */
export interface Heartbeat {
  intervalMs: number;
  timeoutMs: number;
}

/** TCP keepalive alone would notice a half-open connection only after the OS's default of two hours. */
const DEFAULT_HEARTBEAT: Heartbeat = { intervalMs: 30_000, timeoutMs: 10_000 };
/** PostgreSQL's longest identifier (NAMEDATALEN - 1), which channel names and application names are cut to. */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * The channel's name in the database: scoped to the schema, so that two deployments (or test
 * suites) sharing one database in different schemas do not hear each other's messages.
 */
export function scopedChannel(channel: string, schema: string): string {
  const name = `${channel}_${schema}`;
  if (Buffer.byteLength(name) <= MAX_IDENTIFIER_BYTES) return name;
  return `${channel}_${createHash('sha256').update(schema).digest('hex')}`.slice(0, MAX_IDENTIFIER_BYTES);
}

/** The application_name of a listening connection (in pg_stat_activity), naming its schema. */
export function listenerApplicationName(schema: string): string {
  return `gramlens listen ${schema}`.slice(0, MAX_IDENTIFIER_BYTES);
}

/**
 * LISTENs on a channel on a connection of its own, taken from the pool for as long as it listens.
 * A lost connection (the server restarting, pg_terminate_backend, a network failure) is reopened
 * after 0.1 s, doubling up to 5 s, and LISTENs again; the handlers are then told `reconnected`, since
 * messages sent while it was down are lost. A connection that a network failure left half-open (no
 * error, but nothing arrives) is found by a heartbeat: a `SELECT 1` every 30 s that must answer
 * within 10 s, else the connection counts as lost.
 */
export class PostgresListener implements Listening {
  private client: pg.PoolClient | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private retryMs = FIRST_RETRY_MS;
  private stopped = false;
  /** Whether a first attempt to listen was made: any later success follows a time without listening. */
  private attempted = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly channel: string,
    private readonly handlers: ChannelHandlers,
    private readonly heartbeat: Heartbeat = DEFAULT_HEARTBEAT,
  ) {}

  /** Resolves once the first attempt to listen has succeeded or failed (a failure is retried). */
  start(): Promise<void> {
    return this.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.stopHeartbeat();
    const client = this.client;
    this.client = null;
    // Destroyed, not returned to the pool: it still LISTENs.
    client?.release(true);
  }

  private async open(): Promise<void> {
    const reopening = this.attempted;
    this.attempted = true;
    let client: pg.PoolClient | null = null;
    let lost = false;
    const onLost = (error: Error) => {
      if (lost) return;
      lost = true;
      if (this.client === client) this.lose(client!, error);
    };
    try {
      client = await this.pool.connect();
      client.on('error', onLost);
      client.on('end', () => onLost(new Error('the listening connection ended')));
      const { rows } = await client.query<{ schema: string }>('SELECT current_schema() AS schema');
      const channel = scopedChannel(this.channel, rows[0].schema);
      client.on('notification', (message) => {
        if (message.channel === channel) this.handlers.message(message.payload ?? '');
      });
      await client.query('SELECT set_config($1, $2, false)', ['application_name', listenerApplicationName(rows[0].schema)]);
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      if (lost) throw new Error('the listening connection was lost while it opened');
    } catch (error) {
      client?.release(true);
      if (this.stopped) return;
      this.handlers.failed(error as Error);
      this.retryLater();
      return;
    }
    if (this.stopped) {
      client.release(true);
      return;
    }
    this.client = client;
    this.retryMs = FIRST_RETRY_MS;
    this.beatLater(client);
    if (reopening) this.handlers.reconnected();
  }

  private lose(client: pg.PoolClient, error: Error): void {
    this.client = null;
    this.stopHeartbeat();
    client.release(true);
    if (this.stopped) return;
    this.handlers.failed(error);
    this.retryLater();
  }

  private beatLater(client: pg.PoolClient): void {
    this.heartbeatTimer = setTimeout(() => {
      this.heartbeatTimer = null;
      void this.beat(client);
    }, this.heartbeat.intervalMs);
    this.heartbeatTimer.unref();
  }

  private async beat(client: pg.PoolClient): Promise<void> {
    let timeout: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timeout = setTimeout(() => reject(new Error(`the listening connection did not answer within ${this.heartbeat.timeoutMs} ms`)), this.heartbeat.timeoutMs);
      timeout.unref();
    });
    try {
      await Promise.race([client.query('SELECT 1'), timedOut]);
    } catch (error) {
      if (this.client === client) this.lose(client, error as Error);
      return;
    } finally {
      clearTimeout(timeout);
    }
    if (this.client === client) this.beatLater(client);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private retryLater(): void {
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.open();
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
  }
}
