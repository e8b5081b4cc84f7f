import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { connectDatabase, DATABASE_FILE, migrate, MIGRATIONS, openDatabase, openStore, schemaVersion, SqliteSql, type Sql } from '../../src/store/index.ts';
import { describeBackends } from './backends.ts';
import { tempDir } from './fixtures.ts';

describeBackends('migrations', (backend) => {
  const dirs: { remove: () => void }[] = [];
  const open: Sql[] = [];
  afterEach(async () => {
    for (const sql of open.splice(0)) await sql.close();
    dirs.splice(0).forEach((d) => d.remove());
  });
  const newDir = () => {
    const dir = tempDir();
    dirs.push(dir);
    return dir.path;
  };
  /** A fresh database: a file in a new folder, or a new PostgreSQL schema. */
  const newLocation = async () => (await backend.freshDatabase()) ?? join(newDir(), DATABASE_FILE);
  const connect = (location: string) => {
    const sql = connectDatabase(location);
    open.push(sql);
    return sql;
  };

  it('are idempotent: reopening or migrating again applies nothing and keeps the data', async () => {
    const dataDir = newDir();
    const database = await backend.freshDatabase();
    const first = await openStore({ dataDir, database });
    await first.projects.create({ name: 'p', classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 1, createdBy: null });
    await first.close();

    const db = await openDatabase(database ?? join(dataDir, DATABASE_FILE));
    open.push(db);
    expect(await migrate(db)).toEqual([]);
    expect(await migrate(db)).toEqual([]);
    expect(await schemaVersion(db)).toBe(MIGRATIONS[MIGRATIONS.length - 1].version);
    expect(await db.get('SELECT count(*) AS n FROM schema_version')).toEqual({ n: MIGRATIONS.length });
    expect(await db.all('SELECT name FROM projects')).toEqual([{ name: 'p' }]);
  });

  it('keep the verdicts of a database from before feedback was append-only', async () => {
    const db = connect(await newLocation());
    await migrate(db, MIGRATIONS.filter((m) => m.version < 3));
    await db.exec(`
      INSERT INTO users (id, username, password_hash, role, created_at) VALUES (1, 'doc', 'x', 'clinician', 0);
      INSERT INTO images (sha256, format, width, height, bytes, created_at) VALUES ('${'a'.repeat(64)}', 'png', 1, 1, 1, 0);
      INSERT INTO predictions (id, created_at, user_id, image_sha256, model_id, model_version, output, heatmap_shown, specimen_type)
        VALUES ('p1', 0, 1, '${'a'.repeat(64)}', NULL, 'v1', '{}', 0, 'blood');
      INSERT INTO prediction_feedback (prediction_id, user_id, verdict, label, created_at) VALUES ('p1', 1, 'correct', 'rods', 5);
    `);
    expect(await migrate(db)).toEqual(MIGRATIONS.filter((m) => m.version >= 3).map((m) => m.version));
    expect(await db.all('SELECT prediction_id, user_id, verdict, label, created_at FROM prediction_feedback')).toEqual([
      { prediction_id: 'p1', user_id: 1, verdict: 'correct', label: 'rods', created_at: 5 },
    ]);
    await expect(db.run("UPDATE prediction_feedback SET label = 'cocci'")).rejects.toThrow(/append-only/);
    await expect(db.run('DELETE FROM prediction_feedback')).rejects.toThrow(/append-only/);
  });

  it('mark the predictions of a database from before device sync as made on the server, and keep keys unique and rows append-only', async () => {
    const db = connect(await newLocation());
    await migrate(db, MIGRATIONS.filter((m) => m.version < 4));
    await db.exec(`
      INSERT INTO users (id, username, password_hash, role, created_at) VALUES (1, 'doc', 'x', 'clinician', 0);
      INSERT INTO images (sha256, format, width, height, bytes, created_at) VALUES ('${'a'.repeat(64)}', 'png', 1, 1, 1, 0);
      INSERT INTO predictions (id, created_at, user_id, image_sha256, model_id, model_version, output, heatmap_shown, specimen_type)
        VALUES ('p1', 0, 1, '${'a'.repeat(64)}', NULL, 'v1', '{}', 0, 'blood');
    `);
    expect(await migrate(db)).toEqual(MIGRATIONS.filter((m) => m.version >= 4).map((m) => m.version));
    expect(await db.all('SELECT id, on_device, made_at, device, idempotency_key FROM predictions')).toEqual([
      { id: 'p1', on_device: 0, made_at: null, device: null, idempotency_key: null },
    ]);
    const insert = (id: string, key: string) =>
      db.run(
        `INSERT INTO predictions (id, created_at, user_id, image_sha256, model_id, model_version, output, heatmap_shown, specimen_type, on_device, made_at, device, idempotency_key)
         VALUES (?, 0, 1, '${'a'.repeat(64)}', NULL, 'v1', '{}', 0, 'blood', 1, 0, 'phone', ?)`,
        [id, key],
      );
    await insert('p2', 'key-1');
    await expect(insert('p3', 'key-1')).rejects.toThrow(/UNIQUE|duplicate key/i);
    await expect(db.run("UPDATE predictions SET on_device = 0 WHERE id = 'p2'")).rejects.toThrow(/append-only/);
    await expect(db.run("DELETE FROM predictions WHERE id = 'p2'")).rejects.toThrow(/append-only/);
    const addVerdict = (key: string) =>
      db.run("INSERT INTO prediction_feedback (prediction_id, user_id, verdict, label, created_at, made_at, idempotency_key) VALUES ('p2', 1, 'agree', NULL, 0, 0, ?)", [key]);
    await addVerdict('key-2');
    await expect(addVerdict('key-2')).rejects.toThrow(/UNIQUE|duplicate key/i);
    await expect(db.run("UPDATE prediction_feedback SET idempotency_key = 'key-3'")).rejects.toThrow(/append-only/);
  });

  it('keep the training runs of a database from before scoring and re-explanation jobs, as training runs', async () => {
    const db = connect(await newLocation());
    await migrate(db, MIGRATIONS.filter((m) => m.version < 6));
    await db.exec(`
      INSERT INTO projects (id, name, class_tree, labels_required, created_at) VALUES (1, 'p', '[]', 1, 0);
      INSERT INTO training_runs (id, project_id, status, progress, runner, created_at, started_at) VALUES (7, 1, 'running', '{"epoch":2}', 'worker w pid 1', 3, 4);
    `);
    expect(await migrate(db)).toEqual(MIGRATIONS.filter((m) => m.version >= 6).map((m) => m.version));
    expect(await db.all('SELECT id, kind, project_id, params, status, progress, runner, created_at, started_at FROM training_runs')).toEqual([
      { id: 7, kind: 'training', project_id: 1, params: null, status: 'running', progress: '{"epoch":2}', runner: 'worker w pid 1', created_at: 3, started_at: 4 },
    ]);
    await expect(db.run("INSERT INTO training_runs (kind, params, status, created_at) VALUES ('scoring', '{}', 'queued', 5)")).resolves.toBe(1);
    await expect(db.run("INSERT INTO training_runs (kind, status, created_at) VALUES ('training', 'queued', 5)")).rejects.toThrow(/check/i);
  });

  it('turn on foreign keys (and WAL on SQLite)', async () => {
    const db = await openDatabase(await newLocation());
    open.push(db);
    if (db instanceof SqliteSql) {
      expect(db.pragma('journal_mode')).toBe('wal');
      expect(db.pragma('foreign_keys')).toBe(1);
    }
    await expect(db.run('INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, 999, 0, 0)', ['x'])).rejects.toThrow(/FOREIGN KEY/i);
  });

  it('run each migration in a transaction: a failing one leaves no trace', async () => {
    const db = connect(await newLocation());
    const migrations = [
      { version: 1, description: 'one', sql: 'CREATE TABLE a (x INTEGER);' },
      { version: 2, description: 'broken', sql: 'CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);' },
    ];
    await expect(migrate(db, migrations)).rejects.toThrow(/nowhere/);
    expect(await schemaVersion(db)).toBe(1);
    await expect(db.all('SELECT * FROM b')).rejects.toThrow(/b/);
    expect(await migrate(db, migrations.slice(0, 1))).toEqual([]);
  });

  it('refuse a database from a newer version', async () => {
    const db = connect(await newLocation());
    await migrate(db, [{ version: 7, description: 'future', sql: 'CREATE TABLE f (x INTEGER);' }]);
    await expect(migrate(db)).rejects.toThrow(/newer/);
  });

  // On SQLite two processes wait for each other's IMMEDIATE transactions; two connections in one
  // process cannot (better-sqlite3 blocks the thread that would commit), so this runs on PostgreSQL.
  it.skipIf(backend.name === 'SQLite')('let two servers opening one new database at once apply each migration once', async () => {
    const location = await newLocation();
    const [one, two] = [connect(location), connect(location)];
    const applied = await Promise.all([migrate(one), migrate(two)]);
    expect([...applied[0], ...applied[1]].sort((a, b) => a - b)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await schemaVersion(two)).toBe(MIGRATIONS[MIGRATIONS.length - 1].version);
  });
});
