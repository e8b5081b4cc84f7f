import { describe, expect, it } from 'vitest';
import { isPostgresUrl, numberPlaceholders } from '../../src/store/index.ts';
import { redactedUrl } from '../../src/util/index.ts';

describe('database locations', () => {
  it('tell a PostgreSQL URL from a SQLite path', () => {
    expect(isPostgresUrl('postgres://u@h/db')).toBe(true);
    expect(isPostgresUrl('PostgreSQL://u@h/db')).toBe(true);
    expect(isPostgresUrl('gramlens-data/gramlens.sqlite')).toBe(false);
    expect(isPostgresUrl('/var/lib/postgres/x.sqlite')).toBe(false);
  });

  it('hide the password of a URL, parsable or not', () => {
    expect(redactedUrl('postgres://gram:s3cret@db.example.org:5432/gramlens')).toBe('postgres://gram:***@db.example.org:5432/gramlens');
    expect(redactedUrl('postgres://gram@db.example.org/gramlens')).toBe('postgres://gram@db.example.org/gramlens');
    expect(redactedUrl('postgres://gram:s3cret@db:99999/gramlens')).toBe('postgres://gram:***@db:99999/gramlens');
  });

  it("number ? placeholders for PostgreSQL, leaving quoted ones alone", () => {
    expect(numberPlaceholders('SELECT * FROM t WHERE a = ? AND b IN (?, ?)')).toBe('SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)');
    expect(numberPlaceholders(`SELECT '?' AS "why?", x FROM t WHERE y = ?`)).toBe(`SELECT '?' AS "why?", x FROM t WHERE y = $1`);
  });
});
