import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe } from 'vitest';

export interface TestBackend {
  name: 'SQLite' | 'PostgreSQL';
  /**
   * The `database` option for one fresh, empty store: undefined for SQLite (each new data folder
   * has its own file); for PostgreSQL, a new schema of the test database, dropped after the suite.
   */
  freshDatabase(): Promise<string | undefined>;
}

/** The PostgreSQL server the tests may use (the CI sets it; see .ci/run), e.g. postgres://gramlens@localhost/gramlens?host=/tmp/pg. */
const POSTGRES_URL = process.env.GRAMLENS_TEST_POSTGRES_URL?.trim() || undefined;

export const SQLITE: TestBackend = { name: 'SQLite', freshDatabase: async () => undefined };

/** Runs SQL as the test server's user (creating and dropping schemas). */
async function administer(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A PostgreSQL backend whose schemas are dropped after the enclosing suite. */
function postgresBackend(url: string): TestBackend {
  const schemas: string[] = [];
  afterAll(async () => {
    if (schemas.length > 0) await administer(schemas.map((schema) => `DROP SCHEMA IF EXISTS ${schema} CASCADE;`).join('\n'));
  });
  return {
    name: 'PostgreSQL',
    async freshDatabase() {
      const schema = `gramlens_test_${process.pid}_${randomBytes(6).toString('hex')}`;
      await administer(`CREATE SCHEMA ${schema}`);
      schemas.push(schema);
      const fresh = new URL(url);
      fresh.searchParams.set('options', `-c search_path=${schema}`);
      return fresh.toString();
    },
  };
}

/**
 * `describe` once per backend: SQLite always, PostgreSQL when GRAMLENS_TEST_POSTGRES_URL is set
 * (otherwise its suite is reported as skipped, with the reason in its name).
 */
export function describeBackends(title: string, body: (backend: TestBackend) => void): void {
  describe(`${title} [SQLite]`, () => body(SQLITE));
  if (POSTGRES_URL) {
    describe(`${title} [PostgreSQL]`, () => body(postgresBackend(POSTGRES_URL)));
  } else {
    warnPostgresSkipped();
    describe.skip(`${title} [PostgreSQL: skipped, GRAMLENS_TEST_POSTGRES_URL is not set]`, () => body(SQLITE));
  }
}

let warned = false;

function warnPostgresSkipped(): void {
  if (warned) return;
  warned = true;
  console.warn('PostgreSQL runs of this file skipped: GRAMLENS_TEST_POSTGRES_URL is not set (.ci/run sets it)');
}
