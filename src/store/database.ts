import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { redactedUrl } from '../util/index.ts';
import { migrate } from './migrations.ts';
import { PostgresSql } from './postgres.ts';
import type { Sql } from './sql.ts';
import { SqliteSql } from './sqlite.ts';

/** Where the database is: a postgres:// (or postgresql://) URL, else the path of a SQLite file. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

function checkPostgresUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`not a valid PostgreSQL URL: ${redactedUrl(url)} (expected postgres://user:password@host:port/database)`);
  }
  if (!parsed.hostname && !parsed.searchParams.get('host')) throw new Error(`the PostgreSQL URL ${redactedUrl(url)} names no host`);
}

async function openPostgres(url: string): Promise<Sql> {
  const sql = connectDatabase(url);
  try {
    await migrate(sql);
    return sql;
  } catch (error) {
    await sql.close().catch(() => {});
    const reason = (error as Error).message || (error as { code?: string }).code || String(error);
    throw new Error(`cannot use the PostgreSQL database ${redactedUrl(url)}: ${reason}`);
  }
}

async function openSqlite(file: string): Promise<Sql> {
  const sql = connectDatabase(file);
  try {
    await migrate(sql);
    return sql;
  } catch (error) {
    await sql.close();
    throw error;
  }
}

/** The database (SQLite file, created if missing, or PostgreSQL URL) as it is, not migrated. */
export function connectDatabase(location: string): Sql {
  if (isPostgresUrl(location)) {
    checkPostgresUrl(location);
    return new PostgresSql(location);
  }
  mkdirSync(dirname(location), { recursive: true });
  return new SqliteSql(location);
}

/** Opens the database (SQLite file or PostgreSQL URL) and brings its schema up to date. */
export function openDatabase(location: string): Promise<Sql> {
  return isPostgresUrl(location) ? openPostgres(location) : openSqlite(location);
}
