import type { Database } from 'better-sqlite3';
import type { Clock } from './clock.ts';

export interface LoginRateLimit {
  maxFailures: number;
  windowMs: number;
}

export type LoginPermission = { allowed: true } | { allowed: false; retryAfterMs: number };

/** Failed logins per (username, IP) in a sliding window. */
export class LoginAttempts {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly limit: LoginRateLimit,
  ) {}

  check(username: string, ip: string): LoginPermission {
    const now = this.clock();
    const failures = this.db
      .prepare('SELECT at FROM login_attempts WHERE username = ? AND ip = ? AND at > ? ORDER BY at DESC LIMIT ?')
      .all(username, ip, now - this.limit.windowMs, this.limit.maxFailures) as { at: number }[];
    if (failures.length < this.limit.maxFailures) return { allowed: true };
    // Allowed again once the oldest of the last maxFailures failures leaves the window.
    const oldest = failures[failures.length - 1].at;
    return { allowed: false, retryAfterMs: Math.max(1, oldest + this.limit.windowMs - now) };
  }

  recordFailure(username: string, ip: string): void {
    const now = this.clock();
    this.db.prepare('DELETE FROM login_attempts WHERE at <= ?').run(now - this.limit.windowMs);
    this.db.prepare('INSERT INTO login_attempts (username, ip, at) VALUES (?, ?, ?)').run(username, ip, now);
  }

  clear(username: string, ip: string): void {
    this.db.prepare('DELETE FROM login_attempts WHERE username = ? AND ip = ?').run(username, ip);
  }
}
