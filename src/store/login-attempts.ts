import type { Database } from 'better-sqlite3';
import type { Clock } from './clock.ts';

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
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly limit: LoginRateLimit,
  ) {}

  check(username: string, ip: string): LoginPermission {
    const since = this.clock() - this.limit.windowMs;
    const scopes: [string, unknown[], number][] = [
      ['username = ? AND ip = ?', [username, ip], this.limit.maxFailures],
      ['ip = ?', [ip], this.limit.maxFailuresPerIp ?? DEFAULT_MAX_FAILURES_PER_IP],
      ['1', [], this.limit.maxFailuresOverall ?? DEFAULT_MAX_FAILURES_OVERALL],
    ];
    let retryAfterMs = 0;
    for (const [where, params, max] of scopes) retryAfterMs = Math.max(retryAfterMs, this.waitFor(where, params, max, since));
    return retryAfterMs > 0 ? { allowed: false, retryAfterMs } : { allowed: true };
  }

  recordFailure(username: string, ip: string): void {
    const now = this.clock();
    this.db.prepare('DELETE FROM login_attempts WHERE at <= ?').run(now - this.limit.windowMs);
    this.db.prepare('INSERT INTO login_attempts (username, ip, at) VALUES (?, ?, ?)').run(username, ip, now);
  }

  clear(username: string, ip: string): void {
    this.db.prepare('DELETE FROM login_attempts WHERE username = ? AND ip = ?').run(username, ip);
  }

  /** 0 when fewer than `max` failures matched since `since`; else how long until the oldest of the last `max` leaves the window. */
  private waitFor(where: string, params: unknown[], max: number, since: number): number {
    const oldest = this.db.prepare(`SELECT at FROM login_attempts WHERE ${where} AND at > ? ORDER BY at DESC LIMIT 1 OFFSET ?`).get(...params, since, max - 1) as
      | { at: number }
      | undefined;
    return oldest ? Math.max(1, oldest.at + this.limit.windowMs - this.clock()) : 0;
  }
}
