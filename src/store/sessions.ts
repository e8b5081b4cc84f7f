import { createHash, randomBytes } from 'node:crypto';
import type { Role, SessionUser } from '../contract/index.ts';
import type { Clock } from './clock.ts';
import type { Sql } from './sql.ts';

export type SessionLookup =
  | { status: 'valid'; user: SessionUser; expiresAt: number }
  | { status: 'expired' }
  | { status: 'disabled' }
  | { status: 'unknown' };

interface SessionRow {
  expires_at: number;
  user_id: number;
  username: string;
  role: Role;
  disabled: 0 | 1;
}

/** The database keeps only this hash, so a leaked database does not hand out live sessions. */
function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class Sessions {
  constructor(
    private readonly db: Sql,
    private readonly clock: Clock,
  ) {}

  /** A new random 32-byte session token (base64url) for the user; only its hash is stored. */
  async create(userId: number, ttlMs: number): Promise<{ token: string; expiresAt: number }> {
    const token = randomBytes(32).toString('base64url');
    const now = this.clock();
    const expiresAt = now + ttlMs;
    await this.db.run('INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)', [hashToken(token), userId, now, expiresAt]);
    return { token, expiresAt };
  }

  async lookup(token: string): Promise<SessionLookup> {
    const tokenHash = hashToken(token);
    const row = await this.db.get<SessionRow>(
      `SELECT s.expires_at, s.user_id, u.username, u.role, u.disabled
       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`,
      [tokenHash],
    );
    if (!row) return { status: 'unknown' };
    if (row.expires_at <= this.clock()) {
      await this.db.run('DELETE FROM sessions WHERE token_hash = ?', [tokenHash]);
      return { status: 'expired' };
    }
    if (row.disabled === 1) return { status: 'disabled' };
    return { status: 'valid', user: { id: row.user_id, username: row.username, role: row.role }, expiresAt: row.expires_at };
  }

  async revoke(token: string): Promise<void> {
    await this.db.run('DELETE FROM sessions WHERE token_hash = ?', [hashToken(token)]);
  }

  async revokeAllOf(userId: number): Promise<void> {
    await this.db.run('DELETE FROM sessions WHERE user_id = ?', [userId]);
  }

  purgeExpired(): Promise<number> {
    return this.db.run('DELETE FROM sessions WHERE expires_at <= ?', [this.clock()]);
  }
}
