import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE, migrate, MIGRATIONS, openDatabase, openStore, schemaVersion } from '../../src/store/index.ts';
import { tempDir } from './fixtures.ts';

describe('migrations', () => {
  const dirs: { remove: () => void }[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => d.remove()));
  const newDir = () => {
    const dir = tempDir();
    dirs.push(dir);
    return dir.path;
  };

  it('are idempotent: reopening or migrating again applies nothing and keeps the data', () => {
    const dataDir = newDir();
    const first = openStore({ dataDir });
    first.projects.create({ name: 'p', classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 1, createdBy: null });
    first.close();

    const db = openDatabase(join(dataDir, DATABASE_FILE));
    expect(migrate(db)).toEqual([]);
    expect(migrate(db)).toEqual([]);
    expect(schemaVersion(db)).toBe(MIGRATIONS[MIGRATIONS.length - 1].version);
    expect(db.prepare('SELECT count(*) AS n FROM schema_version').get()).toEqual({ n: MIGRATIONS.length });
    expect(db.prepare('SELECT name FROM projects').all()).toEqual([{ name: 'p' }]);
    db.close();
  });

  it('keep the verdicts of a database from before feedback was append-only', () => {
    const file = join(newDir(), DATABASE_FILE);
    const db = new Database(file);
    migrate(db, MIGRATIONS.filter((m) => m.version < 3));
    db.exec(`
      INSERT INTO users (id, username, password_hash, role, created_at) VALUES (1, 'doc', 'x', 'clinician', 0);
      INSERT INTO images (sha256, format, width, height, bytes, created_at) VALUES ('${'a'.repeat(64)}', 'png', 1, 1, 1, 0);
      INSERT INTO predictions (id, created_at, user_id, image_sha256, model_id, model_version, output, heatmap_shown, specimen_type)
        VALUES ('p1', 0, 1, '${'a'.repeat(64)}', NULL, 'v1', '{}', 0, 'blood');
      INSERT INTO prediction_feedback (prediction_id, user_id, verdict, label, created_at) VALUES ('p1', 1, 'correct', 'rods', 5);
    `);
    expect(migrate(db)).toEqual(MIGRATIONS.filter((m) => m.version >= 3).map((m) => m.version));
    expect(db.prepare('SELECT prediction_id, user_id, verdict, label, created_at FROM prediction_feedback').all()).toEqual([
      { prediction_id: 'p1', user_id: 1, verdict: 'correct', label: 'rods', created_at: 5 },
    ]);
    expect(() => db.prepare("UPDATE prediction_feedback SET label = 'cocci'").run()).toThrow(/append-only/);
    db.close();
  });

  it('mark the predictions of a database from before device sync as made on the server, and keep keys unique', () => {
    const db = new Database(join(newDir(), DATABASE_FILE));
    migrate(db, MIGRATIONS.filter((m) => m.version < 4));
    db.exec(`
      INSERT INTO users (id, username, password_hash, role, created_at) VALUES (1, 'doc', 'x', 'clinician', 0);
      INSERT INTO images (sha256, format, width, height, bytes, created_at) VALUES ('${'a'.repeat(64)}', 'png', 1, 1, 1, 0);
      INSERT INTO predictions (id, created_at, user_id, image_sha256, model_id, model_version, output, heatmap_shown, specimen_type)
        VALUES ('p1', 0, 1, '${'a'.repeat(64)}', NULL, 'v1', '{}', 0, 'blood');
    `);
    expect(migrate(db)).toEqual(MIGRATIONS.filter((m) => m.version >= 4).map((m) => m.version));
    expect(db.prepare('SELECT id, on_device, made_at, device, idempotency_key FROM predictions').all()).toEqual([
      { id: 'p1', on_device: 0, made_at: null, device: null, idempotency_key: null },
    ]);
    const insert = db.prepare(`INSERT INTO predictions (id, created_at, user_id, image_sha256, model_id, model_version, output, heatmap_shown, specimen_type, on_device, made_at, device, idempotency_key)
      VALUES (?, 0, 1, '${'a'.repeat(64)}', NULL, 'v1', '{}', 0, 'blood', 1, 0, 'phone', ?)`);
    insert.run('p2', 'key-1');
    expect(() => insert.run('p3', 'key-1')).toThrow(/UNIQUE/);
    expect(() => db.prepare("UPDATE predictions SET on_device = 0 WHERE id = 'p2'").run()).toThrow(/append-only/);
    db.close();
  });

  it('turn on WAL and foreign keys', () => {
    const db = openDatabase(join(newDir(), DATABASE_FILE));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(() => db.prepare('INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, 999, 0, 0)').run('x')).toThrow(/FOREIGN KEY/);
    db.close();
  });

  it('run each migration in a transaction: a failing one leaves no trace', () => {
    const db = new Database(join(newDir(), 'x.sqlite'));
    const migrations = [
      { version: 1, description: 'one', sql: 'CREATE TABLE a (x INTEGER);' },
      { version: 2, description: 'broken', sql: 'CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);' },
    ];
    expect(() => migrate(db, migrations)).toThrow(/nowhere/);
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").get()).toBeUndefined();
    expect(migrate(db, migrations.slice(0, 1))).toEqual([]);
    db.close();
  });

  it('refuse a database from a newer version', () => {
    const db = new Database(join(newDir(), 'x.sqlite'));
    migrate(db, [{ version: 7, description: 'future', sql: 'CREATE TABLE f (x INTEGER);' }]);
    expect(() => migrate(db)).toThrow(/newer/);
    db.close();
  });
});
