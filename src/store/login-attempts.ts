import type { Clock } from './clock.ts';
import type { Sql } from './sql.ts';

export interface LoginRateLimit {
  /** Failed logins allowed per (username, IP) within the window. */
  maxFailures: number;
  windowMs: number;
  /** Failed logins allowed per IP within the window, whatever the usernames (default 30). */
  maxFailuresPerIp?: number;
  /** Failed logins allowed from everywhere within the window (default 300): bounds the hashing a flood can cause. */
  maxFailuresOverall?: number;
}

export type LoginPermission = { allowed: true } | { allowed: false; retryAfterMs: number };

export const DEFAULT_MAX_FAILURES_PER_IP = 30;
export const DEFAULT_MAX_FAILURES_OVERALL = 300;

/**
 * Failed logins in a sliding window, limited per (username, IP), per IP and overall. They live in
 * the database, so several server processes on one database share the limits.
 */
export class LoginAttempts {
  constructor(
    private readonly db: Sql,
    private readonly clock: Clock,
    private readonly limit: LoginRateLimit,
  ) {}

  async check(username: string, ip: string): Promise<LoginPermission> {
    const since = this.clock() - this.limit.windowMs;
    const scopes: [string, unknown[], number][] = [
      ['username = ? AND ip = ?', [username, ip], this.limit.maxFailures],
      ['ip = ?', [ip], this.limit.maxFailuresPerIp ?? DEFAULT_MAX_FAILURES_PER_IP],
      ['TRUE', [], this.limit.maxFailuresOverall ?? DEFAULT_MAX_FAILURES_OVERALL],
    ];
    let retryAfterMs = 0;
    for (const [where, params, max] of scopes) retryAfterMs = Math.max(retryAfterMs, await this.waitFor(where, params, max, since));
    return retryAfterMs > 0 ? { allowed: false, retryAfterMs } : { allowed: true };
  }

  /**
   * A login attempt's turn: refused while a limit is reached, else counted as a failure at once
   * (cleared on success), check and count in one transaction, so parallel guesses, on one server or
   * several, cannot slip past the limit while their passwords are being checked.
   */
  admit(username: string, ip: string): Promise<LoginPermission> {
    return this.db.transaction(async () => {
      const permission = await this.check(username, ip);
      if (permission.allowed) await this.recordFailure(username, ip);
      return permission;
    });
  }

  async recordFailure(username: string, ip: string): Promise<void> {
    const now = this.clock();
    await this.db.run('DELETE FROM login_attempts WHERE at <= ?', [now - this.limit.windowMs]);
    await this.db.run('INSERT INTO login_attempts (username, ip, at) VALUES (?, ?, ?)', [username, ip, now]);
  }

  async clear(username: string, ip: string): Promise<void> {
    await this.db.run('DELETE FROM login_attempts WHERE username = ? AND ip = ?', [username, ip]);
  }

  /** 0 when fewer than `max` failures matched since `since`; else how long until the oldest of the last `max` leaves the window. */
  private async waitFor(where: string, params: unknown[], max: number, since: number): Promise<number> {
    const oldest = await this.db.get<{ at: number }>(`SELECT at FROM login_attempts WHERE ${where} AND at > ? ORDER BY at DESC LIMIT 1 OFFSET ?`, [...params, since, max - 1]);
    return oldest ? Math.max(1, oldest.at + this.limit.windowMs - this.clock()) : 0;
  }
}
