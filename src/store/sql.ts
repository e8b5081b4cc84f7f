export type Dialect = 'sqlite' | 'postgres';

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
  close(): Promise<void>;
}
