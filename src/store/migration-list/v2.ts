import type { Migration } from '../migrations.ts';

export const VERSION_2: Migration = {
  version: 2,
  description: 'failed logins limited per IP and overall',
  sql: {
    sqlite: `
      CREATE INDEX login_attempts_by_ip ON login_attempts(ip, at);
      CREATE INDEX login_attempts_by_time ON login_attempts(at);
    `,
    postgres: `
      CREATE INDEX login_attempts_by_ip ON login_attempts(ip, at);
      CREATE INDEX login_attempts_by_time ON login_attempts(at);
    `,
  },
};
