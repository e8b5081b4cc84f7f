import { invalid, notFound, StoreError } from './errors.ts';
import type { Role } from '../contract/index.ts';
import type { Clock } from './clock.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { checkPassword } from './password-policy.ts';
import type { Sql } from './sql.ts';
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

export function checkBcryptCost(cost: number): void {
  if (!Number.isInteger(cost) || cost < MIN_BCRYPT_COST) throw new Error(`bcrypt cost must be an integer >= ${MIN_BCRYPT_COST}`);
}

function checkRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role)) throw invalid(`role must be one of ${ROLES.join(', ')}`);
  return role as Role;
}

export class Users {
  /** Compared against when the username does not exist, so a miss costs as long as a wrong password. */
  private decoyHash: Promise<string> | null = null;

  constructor(
    private readonly db: Sql,
    private readonly clock: Clock,
    private readonly bcryptCost: number,
    private readonly hasher: PasswordHasher,
  ) {
    checkBcryptCost(bcryptCost);
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
    return this.db.transaction(async () => {
      await this.refuseLookalike(username);
      const row = await this.db.get<{ id: number }>('INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?) RETURNING id', [username, hash, role, this.clock()]);
      return this.require(row!.id);
    });
  }

  private async refuseLookalike(username: string): Promise<void> {
    const fold = usernameFold(username);
    const skeleton = usernameSkeleton(username);
    for (const { username: existing } of await this.db.all<{ username: string }>('SELECT username FROM users')) {
      if (usernameFold(existing) === fold) throw new StoreError('conflict', `the username "${username}" is taken (usernames do not depend on case)`);
      if (usernameSkeleton(existing) === skeleton) throw new StoreError('conflict', `the username "${username}" looks like the existing "${existing}"; choose another`);
    }
  }

  /** The user a login name means: normalised like a new name, then matched exactly, else without regard to case. */
  private async rowByUsername(raw: string): Promise<UserRow | undefined> {
    let name: string;
    try {
      name = normaliseUsername(raw);
    } catch {
      return undefined;
    }
    const exact = await this.db.get<UserRow>('SELECT * FROM users WHERE username = ?', [name]);
    if (exact) return exact;
    const fold = usernameFold(name);
    return (await this.db.all<UserRow>('SELECT * FROM users ORDER BY id')).find((row) => usernameFold(row.username) === fold);
  }

  /**
   * Creates the first admin when the database has no users at all; otherwise does nothing (also
   * when another server sharing the database created it meanwhile).
   */
  async ensureInitialAdmin(username: string, password: string): Promise<User | null> {
    if ((await this.count()) > 0) return null;
    try {
      return await this.create({ username, password, role: 'admin' });
    } catch (error) {
      if (error instanceof StoreError && error.kind === 'conflict') return null;
      throw error;
    }
  }

  async get(id: number): Promise<User | null> {
    const row = await this.db.get<UserRow>('SELECT * FROM users WHERE id = ?', [id]);
    return row ? toUser(row) : null;
  }

  async require(id: number): Promise<User> {
    const user = await this.get(id);
    if (!user) throw notFound(`no user with id ${id}`);
    return user;
  }

  async findByUsername(username: string): Promise<User | null> {
    const row = await this.rowByUsername(username);
    return row ? toUser(row) : null;
  }

  async list(): Promise<User[]> {
    return (await this.db.all<UserRow>('SELECT * FROM users ORDER BY id')).map(toUser);
  }

  async count(): Promise<number> {
    return (await this.db.get<{ n: number }>('SELECT count(*) AS n FROM users'))!.n;
  }

  /** The user when the password matches (disabled users included: the caller decides), else null. */
  async verifyPassword(username: string, password: string): Promise<User | null> {
    const row = await this.rowByUsername(username);
    this.decoyHash ??= this.hasher.hash('decoy password', this.bcryptCost).catch((error: unknown) => {
      this.decoyHash = null;
      throw error;
    });
    const matches = await this.hasher.compare(password, row?.password_hash ?? (await this.decoyHash));
    return row && matches ? toUser(row) : null;
  }

  async setPassword(id: number, password: string): Promise<void> {
    await this.require(id);
    const hash = await this.hasher.hash(checkPassword(password), this.bcryptCost);
    await this.db.run('UPDATE users SET password_hash = ? WHERE id = ?', [hash, id]);
  }

  /** Changes role or disabled state; refuses to leave the system without an enabled admin. */
  update(id: number, changes: UserChanges): Promise<User> {
    return this.db.transaction(async () => {
      const user = await this.require(id);
      const role = changes.role === undefined ? user.role : checkRole(changes.role);
      const disabled = changes.disabled ?? user.disabled;
      const losesAdmin = user.role === 'admin' && !user.disabled && (role !== 'admin' || disabled);
      if (losesAdmin && (await this.enabledAdminCount()) === 1) {
        throw new StoreError('conflict', 'this is the only enabled admin; create or enable another admin first');
      }
      await this.db.run('UPDATE users SET role = ?, disabled = ? WHERE id = ?', [role, disabled ? 1 : 0, id]);
      return this.require(id);
    });
  }

  private async enabledAdminCount(): Promise<number> {
    return (await this.db.get<{ n: number }>("SELECT count(*) AS n FROM users WHERE role = 'admin' AND disabled = 0"))!.n;
  }
}
