export type Dialect = 'sqlite' | 'postgres';

/** What a listener on a channel is told (see Sql.listen). */
export interface ChannelHandlers {
  /** A message sent on the channel (by any process sharing the database, this one included). */
  message(payload: string): void;
  /**
   * The listening connection was lost and is back: messages sent meanwhile were missed, so the
   * listener should re-read what they would have told it.
   */
  reconnected(): void;
  /** The listening connection failed (it is retried until `stop`). */
  failed(error: Error): void;
}

export interface Listening {
  stop(): Promise<void>;
}

/**
 * The database as the repositories see it, the same for SQLite and PostgreSQL: statements use `?`
 * placeholders, integers come back as numbers. Inside `transaction`, every statement of the
 * callback (and of whatever it awaits) runs in that transaction; outside one, a statement waits
 * for no transaction of this process but its own.
 */
export interface Sql {
  readonly dialect: Dialect;
  all<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  get<Row>(sql: string, params?: readonly unknown[]): Promise<Row | undefined>;
  /** Runs a statement; resolves with the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
  /** Runs statements without parameters (a migration's script). */
  exec(script: string): Promise<void>;
  /**
   * Runs `work` in one transaction that writers of other processes wait for (SQLite: BEGIN
   * IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock), committed when it resolves and
   * rolled back when it throws. A transaction begun inside another joins it.
   */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Sends a message to every process listening on the channel in this database (PostgreSQL's
   * NOTIFY; inside a transaction, sent only when it commits). SQLite has no such thing: absent.
   */
  notify?(channel: string, payload: string): Promise<void>;
  /** Listens on a channel on a connection of its own, reconnecting after it is lost (PostgreSQL's LISTEN). */
  listen?(channel: string, handlers: ChannelHandlers): Promise<Listening>;
  close(): Promise<void>;
}
