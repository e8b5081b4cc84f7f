import type { Migration } from '../migrations.ts';

export const VERSION_5: Migration = {
  version: 5,
  description: 'training runs name the server or worker running them',
  // e.g. "worker host-1 pid 4242": a server that starts fails only the runs its own earlier process left running
  sql: 'ALTER TABLE training_runs ADD COLUMN runner TEXT;',
};
