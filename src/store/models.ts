import type { Clock } from './clock.ts';
import { notFound, StoreError } from './errors.ts';
import type { Sql } from './sql.ts';
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

/** Where the database tells every server sharing it that a model was activated (payload: the model's id). */
export const MODEL_ACTIVATED_CHANNEL = 'gramlens_model_activated';

/** Model bundles the server knows; at most one is active (a partial unique index guarantees it). */
export class Models {
  constructor(
    private readonly db: Sql,
    private readonly clock: Clock,
  ) {}

  async register(model: NewModel): Promise<ModelRecord> {
    const path = checkText('path', model.path, 4096);
    const name = checkText('name', model.name, 200);
    const version = checkText('version', model.version, 200);
    const metrics = model.metrics === undefined || model.metrics === null ? null : JSON.stringify(model.metrics);
    const row = await this.db.get<{ id: number }>(
      'INSERT INTO models (path, name, version, metrics, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (path) DO NOTHING RETURNING id',
      [path, name, version, metrics, this.clock()],
    );
    if (!row) throw new StoreError('conflict', `a model with the path ${path} is already registered`);
    return this.require(row.id);
  }

  async get(id: number): Promise<ModelRecord | null> {
    const row = await this.db.get<ModelRow>('SELECT * FROM models WHERE id = ?', [id]);
    return row ? toModel(row) : null;
  }

  async require(id: number): Promise<ModelRecord> {
    const model = await this.get(id);
    if (!model) throw notFound(`no model with id ${id}`);
    return model;
  }

  async list(): Promise<ModelRecord[]> {
    return (await this.db.all<ModelRow>('SELECT * FROM models ORDER BY id')).map(toModel);
  }

  async active(): Promise<ModelRecord | null> {
    const row = await this.db.get<ModelRow>('SELECT * FROM models WHERE active = 1');
    return row ? toModel(row) : null;
  }

  /**
   * Makes this model the only active one, in one transaction: readers see the old or the new, never
   * none or two. On PostgreSQL every server sharing the database is told when it commits.
   */
  activate(id: number): Promise<ModelRecord> {
    return this.db.transaction(async () => {
      await this.require(id);
      await this.db.run('UPDATE models SET active = 0 WHERE active = 1 AND id != ?', [id]);
      await this.db.run('UPDATE models SET active = 1 WHERE id = ?', [id]);
      await this.db.notify?.(MODEL_ACTIVATED_CHANNEL, String(id));
      return this.require(id);
    });
  }
}
