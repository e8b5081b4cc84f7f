import type { Database } from 'better-sqlite3';

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/** Append only: a released migration is never edited, a change is a new version. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'users, sessions, images, annotation, models, predictions audit, training runs',
    sql: `
      CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('clinician', 'annotator', 'admin')),
        created_at INTEGER NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
      );

      CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX sessions_by_user ON sessions(user_id);

      -- failed logins only; a success clears the (username, ip) key
      CREATE TABLE login_attempts (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL,
        ip TEXT NOT NULL,
        at INTEGER NOT NULL
      );
      CREATE INDEX login_attempts_by_key ON login_attempts(username, ip, at);

      CREATE TABLE images (
        sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
        format TEXT NOT NULL CHECK (format IN ('jpeg', 'png')),
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );

      CREATE TABLE projects (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        class_tree TEXT NOT NULL,
        labels_required INTEGER NOT NULL CHECK (labels_required >= 1),
        created_by INTEGER REFERENCES users(id),
        created_at INTEGER NOT NULL
      );

      -- id gives the stable queue order
      CREATE TABLE project_images (
        id INTEGER PRIMARY KEY,
        project_id INTEGER NOT NULL REFERENCES projects(id),
        image_sha256 TEXT NOT NULL REFERENCES images(sha256),
        patient_id TEXT NOT NULL,
        specimen TEXT,
        original_name TEXT,
        added_at INTEGER NOT NULL,
        adjudicated_label TEXT,
        adjudicated_by INTEGER REFERENCES users(id),
        adjudicated_at INTEGER,
        UNIQUE (project_id, image_sha256)
      );

      -- the current label of each annotator for each image
      CREATE TABLE annotations (
        project_id INTEGER NOT NULL,
        image_sha256 TEXT NOT NULL,
        annotator_id INTEGER NOT NULL REFERENCES users(id),
        label TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (project_id, image_sha256, annotator_id),
        FOREIGN KEY (project_id, image_sha256) REFERENCES project_images(project_id, image_sha256)
      );

      -- every label ever given; undo marks the newest one undone and restores the one before
      CREATE TABLE annotation_history (
        id INTEGER PRIMARY KEY,
        project_id INTEGER NOT NULL,
        image_sha256 TEXT NOT NULL,
        annotator_id INTEGER NOT NULL REFERENCES users(id),
        label TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        undone_at INTEGER,
        FOREIGN KEY (project_id, image_sha256) REFERENCES project_images(project_id, image_sha256)
      );
      CREATE INDEX annotation_history_by_annotator ON annotation_history(project_id, annotator_id, id);

      CREATE TABLE models (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        version TEXT NOT NULL,
        metrics TEXT,
        created_at INTEGER NOT NULL,
        active INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1))
      );
      CREATE UNIQUE INDEX models_one_active ON models(active) WHERE active = 1;

      CREATE TABLE predictions (
        id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL,
        user_id INTEGER NOT NULL REFERENCES users(id),
        image_sha256 TEXT NOT NULL REFERENCES images(sha256),
        model_id INTEGER REFERENCES models(id),
        model_version TEXT NOT NULL,
        output TEXT NOT NULL,
        heatmap_shown INTEGER NOT NULL CHECK (heatmap_shown IN (0, 1)),
        specimen_type TEXT NOT NULL,
        case_id TEXT
      );
      CREATE INDEX predictions_by_user ON predictions(user_id, created_at);
      CREATE TRIGGER predictions_are_append_only_update BEFORE UPDATE ON predictions
      BEGIN
        SELECT RAISE(ABORT, 'predictions are an append-only audit trail');
      END;
      CREATE TRIGGER predictions_are_append_only_delete BEFORE DELETE ON predictions
      BEGIN
        SELECT RAISE(ABORT, 'predictions are an append-only audit trail');
      END;

      CREATE TABLE prediction_feedback (
        prediction_id TEXT PRIMARY KEY REFERENCES predictions(id),
        user_id INTEGER NOT NULL REFERENCES users(id),
        verdict TEXT NOT NULL CHECK (verdict IN ('agree', 'correct')),
        label TEXT,
        created_at INTEGER NOT NULL,
        CHECK ((verdict = 'agree' AND label IS NULL) OR (verdict = 'correct' AND label IS NOT NULL))
      );

      CREATE TABLE training_runs (
        id INTEGER PRIMARY KEY,
        project_id INTEGER NOT NULL REFERENCES projects(id),
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
        progress TEXT,
        bundle_path TEXT,
        error TEXT,
        model_id INTEGER REFERENCES models(id),
        created_by INTEGER REFERENCES users(id),
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER
      );
    `,
  },
  {
    version: 2,
    description: 'failed logins limited per IP and overall',
    sql: `
      CREATE INDEX login_attempts_by_ip ON login_attempts(ip, at);
      CREATE INDEX login_attempts_by_time ON login_attempts(at);
    `,
  },
  {
    version: 3,
    description: 'verdicts on predictions append-only, each with its author and time',
    sql: `
      ALTER TABLE prediction_feedback RENAME TO prediction_feedback_v1;
      CREATE TABLE prediction_feedback (
        id INTEGER PRIMARY KEY,
        prediction_id TEXT NOT NULL REFERENCES predictions(id),
        user_id INTEGER NOT NULL REFERENCES users(id),
        verdict TEXT NOT NULL CHECK (verdict IN ('agree', 'correct')),
        label TEXT,
        created_at INTEGER NOT NULL,
        CHECK ((verdict = 'agree' AND label IS NULL) OR (verdict = 'correct' AND label IS NOT NULL))
      );
      CREATE INDEX prediction_feedback_by_prediction ON prediction_feedback(prediction_id, id);
      INSERT INTO prediction_feedback (prediction_id, user_id, verdict, label, created_at)
        SELECT prediction_id, user_id, verdict, label, created_at FROM prediction_feedback_v1 ORDER BY created_at;
      DROP TABLE prediction_feedback_v1;
      CREATE TRIGGER prediction_feedback_is_append_only_update BEFORE UPDATE ON prediction_feedback
      BEGIN
        SELECT RAISE(ABORT, 'feedback is append-only: give a new verdict instead');
      END;
      CREATE TRIGGER prediction_feedback_is_append_only_delete BEFORE DELETE ON prediction_feedback
      BEGIN
        SELECT RAISE(ABORT, 'feedback is append-only: give a new verdict instead');
      END;
    `,
  },
  {
    version: 4,
    description: 'predictions and verdicts made on a device while offline: device time, device mark, idempotency key',
    sql: `
      -- created_at stays the time the server received the row; made_at is the device's clock
      ALTER TABLE predictions ADD COLUMN on_device INTEGER NOT NULL DEFAULT 0 CHECK (on_device IN (0, 1));
      ALTER TABLE predictions ADD COLUMN made_at INTEGER;
      ALTER TABLE predictions ADD COLUMN device TEXT;
      ALTER TABLE predictions ADD COLUMN idempotency_key TEXT;
      CREATE UNIQUE INDEX predictions_by_idempotency_key ON predictions(idempotency_key) WHERE idempotency_key IS NOT NULL;
      ALTER TABLE prediction_feedback ADD COLUMN made_at INTEGER;
      ALTER TABLE prediction_feedback ADD COLUMN idempotency_key TEXT;
      CREATE UNIQUE INDEX prediction_feedback_by_idempotency_key ON prediction_feedback(idempotency_key) WHERE idempotency_key IS NOT NULL;
    `,
  },
];

function appliedVersions(db: Database): Set<number> {
  const rows = db.prepare('SELECT version FROM schema_version').all() as { version: number }[];
  return new Set(rows.map((row) => row.version));
}

/**
 * Brings the schema up to date: each pending migration runs in its own IMMEDIATE transaction (so
 * two processes opening the same database cannot both apply it) and records its version.
 * Running it again is a no-op. Returns the versions applied now.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const versions = migrations.map((m) => m.version);
  if (versions.some((version, i) => i > 0 && version <= versions[i - 1])) {
    throw new Error('migrations must have strictly increasing versions');
  }
  db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const newest = Math.max(0, ...appliedVersions(db));
  const known = Math.max(0, ...versions);
  if (newest > known) {
    throw new Error(`the database has schema version ${newest}, newer than this gramlens knows (${known}); upgrade gramlens`);
  }
  const applied: number[] = [];
  for (const migration of migrations) {
    const apply = db.transaction(() => {
      if (appliedVersions(db).has(migration.version)) return;
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.description,
        Date.now(),
      );
      applied.push(migration.version);
    });
    apply.immediate();
  }
  return applied;
}

export function schemaVersion(db: Database): number {
  return Math.max(0, ...appliedVersions(db));
}
