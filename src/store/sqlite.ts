import { AsyncLocalStorage } from 'node:async_hooks';
import Database from 'better-sqlite3';
import type { Sql } from './sql.ts';

/**
 * SQLite through better-sqlite3: one connection in WAL mode with foreign keys on. Its calls are
 * synchronous; a transaction spans awaits, so statements from outside it wait until it ends
 * (on one connection they would otherwise join it).
 */
export class SqliteSql implements Sql {
  readonly dialect = 'sqlite';
  private readonly db: Database.Database;
  private readonly inTransaction = new AsyncLocalStorage<true>();
  /** Resolves when the last transaction begun or waiting to begin has ended. */
  private transactionsEnded: Promise<unknown> = Promise.resolve();
  private transactionOpen = false;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('synchronous = NORMAL');
  }

  /** A pragma's single value, e.g. journal_mode. */
  pragma(name: string): unknown {
    return this.db.pragma(name, { simple: true });
  }

  async all<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
    await this.outsideOthersTransaction();
    return this.db.prepare(sql).all(...params) as Row[];
  }

  async get<Row>(sql: string, params: readonly unknown[] = []): Promise<Row | undefined> {
    await this.outsideOthersTransaction();
    return this.db.prepare(sql).get(...params) as Row | undefined;
  }

  async run(sql: string, params: readonly unknown[] = []): Promise<number> {
    await this.outsideOthersTransaction();
    return this.db.prepare(sql).run(...params).changes;
  }

  async exec(script: string): Promise<void> {
    await this.outsideOthersTransaction();
    this.db.exec(script);
  }

  async transaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.inTransaction.getStore()) return work();
    const previous = this.transactionsEnded;
    let release!: () => void;
    this.transactionsEnded = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.transactionOpen = true;
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await this.inTransaction.run(true, work);
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    } finally {
      this.transactionOpen = false;
      release();
    }
  }

  async close(): Promise<void> {
    await this.transactionsEnded;
    this.db.close();
  }

  private async outsideOthersTransaction(): Promise<void> {
    if (this.inTransaction.getStore()) return;
    while (this.transactionOpen) await this.transactionsEnded;
  }
}
