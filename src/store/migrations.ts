import { MIGRATIONS } from './migration-list/index.ts';
import type { Dialect, Sql } from './sql.ts';

export interface Migration {
  version: number;
  description: string;
  /** The script for each dialect, or one script both run as it is. */
  sql: string | Record<Dialect, string>;
}

export { MIGRATIONS };

const SCHEMA_VERSION_TABLE: Record<Dialect, string> = {
  sqlite: 'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  postgres: 'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)',
};

function scriptOf(migration: Migration, dialect: Dialect): string {
  return typeof migration.sql === 'string' ? migration.sql : migration.sql[dialect];
}

async function appliedVersions(sql: Sql): Promise<Set<number>> {
  const rows = await sql.all<{ version: number }>('SELECT version FROM schema_version');
  return new Set(rows.map((row) => row.version));
}

/**
 * Brings the schema up to date: each pending migration runs in its own write transaction (so two
 * processes opening the same database cannot both apply it) and records its version.
 * Running it again is a no-op. Returns the versions applied now.
 */
export async function migrate(sql: Sql, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const versions = migrations.map((m) => m.version);
  if (versions.some((version, i) => i > 0 && version <= versions[i - 1])) {
    throw new Error('migrations must have strictly increasing versions');
  }
  await sql.transaction(() => sql.exec(SCHEMA_VERSION_TABLE[sql.dialect]));
  const newest = Math.max(0, ...(await appliedVersions(sql)));
  const known = Math.max(0, ...versions);
  if (newest > known) {
    throw new Error(`the database has schema version ${newest}, newer than this gramlens knows (${known}); upgrade gramlens`);
  }
  const applied: number[] = [];
  for (const migration of migrations) {
    await sql.transaction(async () => {
      if ((await appliedVersions(sql)).has(migration.version)) return;
      await sql.exec(scriptOf(migration, sql.dialect));
      await sql.run('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)', [migration.version, migration.description, Date.now()]);
      applied.push(migration.version);
    });
  }
  return applied;
}

export async function schemaVersion(sql: Sql): Promise<number> {
  return Math.max(0, ...(await appliedVersions(sql)));
}
