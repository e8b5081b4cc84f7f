import type { Database } from 'better-sqlite3';
import { invalid, notFound, StoreError } from './errors.ts';
import type { Role } from '../contract/index.ts';
import type { Clock } from './clock.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { checkPassword } from './password-policy.ts';
import { normaliseUsername, usernameFold, usernameSkeleton } from './usernames.ts';

export const ROLES = ['clinician', 'annotator', 'admin'] as const satisfies readonly Role[];

export const MIN_BCRYPT_COST = 10;

export interface User {
  id: number;
  username: string;
  role: Role;
  createdAt: number;
  disabled: boolean;
}

export interface NewUser {
  username: string;
  password: string;
  role: Role;
}

export interface UserChanges {
  role?: Role;
  disabled?: boolean;
}

interface UserRow {
  id: number;
  username: string;
  password_hash: string;
  role: Role;
  created_at: number;
  disabled: 0 | 1;
}

function toUser(row: UserRow): User {
  return { id: row.id, username: row.username, role: row.role, createdAt: row.created_at, disabled: row.disabled === 1 };
}

function checkRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role)) throw invalid(`role must be one of ${ROLES.join(', ')}`);
  return role as Role;
}

export class Users {
  /** Compared against when the username does not exist, so a miss costs as long as a wrong password. */
  private decoyHash: Promise<string> | null = null;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly bcryptCost: number,
    private readonly hasher: PasswordHasher,
  ) {
    if (!Number.isInteger(bcryptCost) || bcryptCost < MIN_BCRYPT_COST) throw new Error(`bcrypt cost must be an integer >= ${MIN_BCRYPT_COST}`);
  }

  /**
   * The username is normalised (normaliseUsername) and must differ from every existing one without
   * regard to case, and not look like one (usernameSkeleton): "Admin", "admin " and "аdmin" with a
   * Cyrillic а are all refused while "admin" exists.
   */
  async create(user: NewUser): Promise<User> {
    const username = normaliseUsername(user.username);
    const role = checkRole(user.role);
    const hash = await this.hasher.hash(checkPassword(user.password), this.bcryptCost);
    const insert = this.db.transaction((): number => {
      this.refuseLookalike(username);
      const result = this.db.prepare('INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)').run(username, hash, role, this.clock());
      return Number(result.lastInsertRowid);
    });
    return this.require(insert.immediate());
  }

  private refuseLookalike(username: string): void {
    const fold = usernameFold(username);
    const skeleton = usernameSkeleton(username);
    for (const { username: existing } of this.db.prepare('SELECT username FROM users').all() as { username: string }[]) {
      if (usernameFold(existing) === fold) throw new StoreError('conflict', `the username "${username}" is taken (usernames do not depend on case)`);
      if (usernameSkeleton(existing) === skeleton) throw new StoreError('conflict', `the username "${username}" looks like the existing "${existing}"; choose another`);
    }
  }

  /** The user a login name means: normalised like a new name, then matched exactly, else without regard to case. */
  private rowByUsername(raw: string): UserRow | undefined {
    let name: string;
    try {
      name = normaliseUsername(raw);
    } catch {
      return undefined;
    }
    const exact = this.db.prepare('SELECT * FROM users WHERE username = ?').get(name) as UserRow | undefined;
    if (exact) return exact;
    const fold = usernameFold(name);
    return (this.db.prepare('SELECT * FROM users ORDER BY id').all() as UserRow[]).find((row) => usernameFold(row.username) === fold);
  }

  /** Creates the first admin when the database has no users at all; otherwise does nothing. */
  async ensureInitialAdmin(username: string, password: string): Promise<User | null> {
    if (this.count() > 0) return null;
    return this.create({ username, password, role: 'admin' });
  }

  get(id: number): User | null {
    const row = this.db.prepare('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
    return row ? toUser(row) : null;
  }

  require(id: number): User {
    const user = this.get(id);
    if (!user) throw notFound(`no user with id ${id}`);
    return user;
  }

  findByUsername(username: string): User | null {
    const row = this.rowByUsername(username);
    return row ? toUser(row) : null;
  }

  list(): User[] {
    return (this.db.prepare('SELECT * FROM users ORDER BY id').all() as UserRow[]).map(toUser);
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
  }

  /** The user when the password matches (disabled users included: the caller decides), else null. */
  async verifyPassword(username: string, password: string): Promise<User | null> {
    const row = this.rowByUsername(username);
    this.decoyHash ??= this.hasher.hash('decoy password', this.bcryptCost).catch((error: unknown) => {
      this.decoyHash = null;
      throw error;
    });
    const matches = await this.hasher.compare(password, row?.password_hash ?? (await this.decoyHash));
    return row && matches ? toUser(row) : null;
  }

  async setPassword(id: number, password: string): Promise<void> {
    this.require(id);
    const hash = await this.hasher.hash(checkPassword(password), this.bcryptCost);
    this.db.prepare('UPDATE users SET password_hash = ? WHERE id = ?').run(hash, id);
  }

  /** Changes role or disabled state; refuses to leave the system without an enabled admin. */
  update(id: number, changes: UserChanges): User {
    const apply = this.db.transaction(() => {
      const user = this.require(id);
      const role = changes.role === undefined ? user.role : checkRole(changes.role);
      const disabled = changes.disabled ?? user.disabled;
      const losesAdmin = user.role === 'admin' && !user.disabled && (role !== 'admin' || disabled);
      if (losesAdmin && this.enabledAdminCount() === 1) {
        throw new StoreError('conflict', 'this is the only enabled admin; create or enable another admin first');
      }
      this.db.prepare('UPDATE users SET role = ?, disabled = ? WHERE id = ?').run(role, disabled ? 1 : 0, id);
      return this.require(id);
    });
    return apply.immediate();
  }

  private enabledAdminCount(): number {
    return (this.db.prepare("SELECT count(*) AS n FROM users WHERE role = 'admin' AND disabled = 0").get() as { n: number }).n;
  }
}
