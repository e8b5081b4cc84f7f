import type { Migration } from '../migrations.ts';

export const VERSION_4: Migration = {
  version: 4,
  description: 'predictions and verdicts made on a device while offline: device time, device mark, idempotency key',
  sql: {
    sqlite: `
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
    // The row triggers of versions 1 and 3 cover every column, these new ones included.
    postgres: `
      -- created_at stays the time the server received the row; made_at is the device's clock
      ALTER TABLE predictions ADD COLUMN on_device SMALLINT NOT NULL DEFAULT 0 CHECK (on_device IN (0, 1));
      ALTER TABLE predictions ADD COLUMN made_at BIGINT;
      ALTER TABLE predictions ADD COLUMN device TEXT;
      ALTER TABLE predictions ADD COLUMN idempotency_key TEXT;
      CREATE UNIQUE INDEX predictions_by_idempotency_key ON predictions(idempotency_key) WHERE idempotency_key IS NOT NULL;
      ALTER TABLE prediction_feedback ADD COLUMN made_at BIGINT;
      ALTER TABLE prediction_feedback ADD COLUMN idempotency_key TEXT;
      CREATE UNIQUE INDEX prediction_feedback_by_idempotency_key ON prediction_feedback(idempotency_key) WHERE idempotency_key IS NOT NULL;
    `,
  },
};
