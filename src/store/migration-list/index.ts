import type { Migration } from '../migrations.ts';
import { VERSION_1 } from './v1.ts';
import { VERSION_2 } from './v2.ts';
import { VERSION_3 } from './v3.ts';
import { VERSION_4 } from './v4.ts';
import { VERSION_5 } from './v5.ts';
import { VERSION_6 } from './v6.ts';

/**
 * The schema's history, one file per version, each written for SQLite and for PostgreSQL: the same tables,
 * columns and guarantees. In PostgreSQL integers are BIGINT and 0/1 flags SMALLINT, and the
 * append-only tables refuse UPDATE, DELETE and TRUNCATE through triggers, as SQLite's refuse
 * UPDATE and DELETE. Append only: a released migration is never edited, a change is a new version.
 */
export const MIGRATIONS: readonly Migration[] = [VERSION_1, VERSION_2, VERSION_3, VERSION_4, VERSION_5, VERSION_6];
