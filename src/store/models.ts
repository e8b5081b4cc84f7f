import type { Database } from 'better-sqlite3';
import type { Clock } from './clock.ts';
import { notFound, StoreError } from './errors.ts';
import { checkText } from './text.ts';

export interface ModelRecord {
  id: number;
  path: string;
  name: string;
  version: string;
  metrics: unknown;
  createdAt: number;
  active: boolean;
}

export interface NewModel {
  path: string;
  name: string;
  version: string;
  metrics?: unknown;
}

interface ModelRow {
  id: number;
  path: string;
  name: string;
  version: string;
  metrics: string | null;
  created_at: number;
  active: 0 | 1;
}

function toModel(row: ModelRow): ModelRecord {
  return {
    id: row.id,
    path: row.path,
    name: row.name,
    version: row.version,
    metrics: row.metrics === null ? null : JSON.parse(row.metrics),
    createdAt: row.created_at,
    active: row.active === 1,
  };
}

/** Model bundles the server knows; at most one is active (a partial unique index guarantees it). */
export class Models {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  register(model: NewModel): ModelRecord {
    const path = checkText('path', model.path, 4096);
    const name = checkText('name', model.name, 200);
    const version = checkText('version', model.version, 200);
    const metrics = model.metrics === undefined || model.metrics === null ? null : JSON.stringify(model.metrics);
    const result = this.db
      .prepare('INSERT INTO models (path, name, version, metrics, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (path) DO NOTHING')
      .run(path, name, version, metrics, this.clock());
    if (result.changes === 0) throw new StoreError('conflict', `a model with the path ${path} is already registered`);
    return this.require(Number(result.lastInsertRowid));
  }

  get(id: number): ModelRecord | null {
    const row = this.db.prepare('SELECT * FROM models WHERE id = ?').get(id) as ModelRow | undefined;
    return row ? toModel(row) : null;
  }

  require(id: number): ModelRecord {
    const model = this.get(id);
    if (!model) throw notFound(`no model with id ${id}`);
    return model;
  }

  list(): ModelRecord[] {
    return (this.db.prepare('SELECT * FROM models ORDER BY id').all() as ModelRow[]).map(toModel);
  }

  active(): ModelRecord | null {
    const row = this.db.prepare('SELECT * FROM models WHERE active = 1').get() as ModelRow | undefined;
    return row ? toModel(row) : null;
  }

  /** Makes this model the only active one, in one transaction: readers see the old or the new, never none or two. */
  activate(id: number): ModelRecord {
    const swap = this.db.transaction(() => {
      this.require(id);
      this.db.prepare('UPDATE models SET active = 0 WHERE active = 1 AND id != ?').run(id);
      this.db.prepare('UPDATE models SET active = 1 WHERE id = ?').run(id);
      return this.require(id);
    });
    return swap.immediate();
  }
}
