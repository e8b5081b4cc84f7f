import type { Migration } from '../migrations.ts';

export const VERSION_1: Migration = {
  version: 1,
  description: 'users, sessions, images, annotation, models, predictions audit, training runs',
  sql: {
    sqlite: `
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
    postgres: `
      CREATE TABLE users (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('clinician', 'annotator', 'admin')),
        created_at BIGINT NOT NULL,
        disabled SMALLINT NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))
      );

      CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX sessions_by_user ON sessions(user_id);

      -- failed logins only; a success clears the (username, ip) key
      CREATE TABLE login_attempts (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        username TEXT NOT NULL,
        ip TEXT NOT NULL,
        at BIGINT NOT NULL
      );
      CREATE INDEX login_attempts_by_key ON login_attempts(username, ip, at);

      CREATE TABLE images (
        sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
        format TEXT NOT NULL CHECK (format IN ('jpeg', 'png')),
        width BIGINT NOT NULL,
        height BIGINT NOT NULL,
        bytes BIGINT NOT NULL,
        created_at BIGINT NOT NULL
      );

      CREATE TABLE projects (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        name TEXT NOT NULL,
        class_tree TEXT NOT NULL,
        labels_required BIGINT NOT NULL CHECK (labels_required >= 1),
        created_by BIGINT REFERENCES users(id),
        created_at BIGINT NOT NULL
      );

      -- id gives the stable queue order
      CREATE TABLE project_images (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        project_id BIGINT NOT NULL REFERENCES projects(id),
        image_sha256 TEXT NOT NULL REFERENCES images(sha256),
        patient_id TEXT NOT NULL,
        specimen TEXT,
        original_name TEXT,
        added_at BIGINT NOT NULL,
        adjudicated_label TEXT,
        adjudicated_by BIGINT REFERENCES users(id),
        adjudicated_at BIGINT,
        UNIQUE (project_id, image_sha256)
      );

      -- the current label of each annotator for each image
      CREATE TABLE annotations (
        project_id BIGINT NOT NULL,
        image_sha256 TEXT NOT NULL,
        annotator_id BIGINT NOT NULL REFERENCES users(id),
        label TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (project_id, image_sha256, annotator_id),
        FOREIGN KEY (project_id, image_sha256) REFERENCES project_images(project_id, image_sha256)
      );

      -- every label ever given; undo marks the newest one undone and restores the one before
      CREATE TABLE annotation_history (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        project_id BIGINT NOT NULL,
        image_sha256 TEXT NOT NULL,
        annotator_id BIGINT NOT NULL REFERENCES users(id),
        label TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        undone_at BIGINT,
        FOREIGN KEY (project_id, image_sha256) REFERENCES project_images(project_id, image_sha256)
      );
      CREATE INDEX annotation_history_by_annotator ON annotation_history(project_id, annotator_id, id);

      CREATE TABLE models (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        version TEXT NOT NULL,
        metrics TEXT,
        created_at BIGINT NOT NULL,
        active SMALLINT NOT NULL DEFAULT 0 CHECK (active IN (0, 1))
      );
      CREATE UNIQUE INDEX models_one_active ON models(active) WHERE active = 1;

      CREATE FUNCTION gramlens_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
      END $$;

      -- rowid: the insertion order, which SQLite keeps for every table without an integer key
      CREATE TABLE predictions (
        rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
        id TEXT PRIMARY KEY,
        created_at BIGINT NOT NULL,
        user_id BIGINT NOT NULL REFERENCES users(id),
        image_sha256 TEXT NOT NULL REFERENCES images(sha256),
        model_id BIGINT REFERENCES models(id),
        model_version TEXT NOT NULL,
        output TEXT NOT NULL,
        heatmap_shown SMALLINT NOT NULL CHECK (heatmap_shown IN (0, 1)),
        specimen_type TEXT NOT NULL,
        case_id TEXT
      );
      CREATE INDEX predictions_by_user ON predictions(user_id, created_at);
      CREATE TRIGGER predictions_are_append_only BEFORE UPDATE OR DELETE ON predictions
        FOR EACH ROW EXECUTE FUNCTION gramlens_refuse_change('predictions are an append-only audit trail');
      CREATE TRIGGER predictions_are_append_only_truncate BEFORE TRUNCATE ON predictions
        FOR EACH STATEMENT EXECUTE FUNCTION gramlens_refuse_change('predictions are an append-only audit trail');

      CREATE TABLE prediction_feedback (
        prediction_id TEXT PRIMARY KEY REFERENCES predictions(id),
        user_id BIGINT NOT NULL REFERENCES users(id),
        verdict TEXT NOT NULL CHECK (verdict IN ('agree', 'correct')),
        label TEXT,
        created_at BIGINT NOT NULL,
        CHECK ((verdict = 'agree' AND label IS NULL) OR (verdict = 'correct' AND label IS NOT NULL))
      );

      CREATE TABLE training_runs (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        project_id BIGINT NOT NULL REFERENCES projects(id),
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
        progress TEXT,
        bundle_path TEXT,
        error TEXT,
        model_id BIGINT REFERENCES models(id),
        created_by BIGINT REFERENCES users(id),
        created_at BIGINT NOT NULL,
        started_at BIGINT,
        finished_at BIGINT
      );
    `,
  },
};
