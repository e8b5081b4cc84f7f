import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createServer, type Predictor } from '../../src/server/index.ts';
import type { ModelRecord } from '../../src/store/index.ts';
import { listenerApplicationName } from '../../src/store/postgres-listener.ts';
import { pngImage } from '../store/fixtures.ts';
import { describeBackends, fakePredictor, multipart, startTestServer, type TestServer } from './helpers.ts';

/** A predictor that answers with the model it loaded last (its version in the answer), and can be told to fail loading. */
interface LoadingPredictor extends Predictor {
  loaded: ModelRecord | null;
  failing: boolean;
}

function loadingPredictor(): LoadingPredictor {
  const answers = fakePredictor();
  const predictor: LoadingPredictor = {
    loaded: null,
    failing: false,
    async predict(image) {
      return { ...(await answers.predict(image)), modelVersion: predictor.loaded?.version ?? 'none' };
    },
    async activate(model) {
      if (predictor.failing) throw new Error(`ENOENT: no bundle at ${model.path}`);
      predictor.loaded = model;
    },
  };
  return predictor;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the milliseconds it took for `check` to hold; fails past `limitMs`. */
async function within(limitMs: number, check: () => boolean): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > limitMs) throw new Error(`not within ${limitMs} ms`);
    await pause(10);
  }
  return Date.now() - start;
}

/** The schema a fresh PostgreSQL test database lives in (from its URL's search_path). */
function schemaOf(url: string): string {
  return /search_path=(\S+)/.exec(new URL(url).searchParams.get('options') ?? '')![1];
}

async function onDatabase<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describeBackends('a model activated on one server, with another on the same database', (backend) => {
  const onPostgres = backend.name === 'PostgreSQL';
  let first: TestServer;
  let second: FastifyInstance;
  let database: string | undefined;
  const firstPredictor = loadingPredictor();
  const secondPredictor = loadingPredictor();
  const models: Record<'one' | 'two', ModelRecord> = {} as never;
  const extraServers: FastifyInstance[] = [];

  const startAnother = async (predictor: Predictor) => {
    const app = createServer({ dataDir: first.dataDir, database, predictor, bundleVersionOf: async (path) => `bundle-${basename(path)}` });
    await app.ready();
    extraServers.push(app);
    return app;
  };
  const predictOn = async (app: FastifyInstance, shade: number) => {
    const form = multipart([
      { name: 'image', filename: 'field.png', data: await pngImage(shade) },
      { name: 'specimenType', value: 'sputum' },
    ]);
    return app.inject({ method: 'POST', url: '/api/predict', payload: form.payload, headers: { ...form.headers, cookie: first.cookie.clinician } });
  };
  const activateOnFirst = (model: ModelRecord) => first.as('admin', { method: 'POST', url: `/api/models/${model.id}/activate` });
  const servedVersion = async (app: FastifyInstance) => app.inject({ method: 'GET', url: '/api/models/active/version', headers: { cookie: first.cookie.clinician } });

  beforeAll(async () => {
    database = await backend.freshDatabase();
    first = await startTestServer({ backend: { name: backend.name, freshDatabase: async () => database }, predictor: firstPredictor, bundleVersionOf: async (path) => `bundle-${basename(path)}` });
    for (const name of ['one', 'two'] as const) {
      const path = join(first.dataDir, 'bundles', name);
      mkdirSync(path, { recursive: true });
      models[name] = (await first.as('admin', { method: 'POST', url: '/api/models', payload: { path, name, version: `v-${name}` } })).json();
    }
    expect((await activateOnFirst(models.one)).statusCode).toBe(200);
    second = await startAnother(secondPredictor);
  });
  afterAll(async () => {
    for (const app of extraServers) await app.close();
    await first.close();
  });

  it('a server started later serves the active model; one activated afterwards reaches it by NOTIFY within a second (PostgreSQL) and every audit row names the model that answered', async () => {
    expect(secondPredictor.loaded?.id).toBe(models.one.id);
    expect((await activateOnFirst(models.two)).statusCode).toBe(200);
    expect(firstPredictor.loaded?.id).toBe(models.two.id);
    if (onPostgres) {
      expect(await within(1000, () => secondPredictor.loaded?.id === models.two.id)).toBeLessThan(1000);
    } else {
      // SQLite is one machine: no other server is told, and the one that was not keeps answering with its model
      await pause(200);
      expect(secondPredictor.loaded?.id).toBe(models.one.id);
    }
    const expectedOnSecond = onPostgres ? models.two : models.one;
    const onFirst = await predictOn(first.app, 11);
    const onSecond = await predictOn(second, 12);
    expect(onFirst.json()).toMatchObject({ modelId: models.two.id, modelVersion: 'v-two' });
    expect(onSecond.json()).toMatchObject({ modelId: expectedOnSecond.id, modelVersion: expectedOnSecond.version });
    // the audit trail as stored, read back through the other server
    const stored = await first.as('admin', { method: 'GET', url: `/api/predictions/${onSecond.json().id}` });
    expect(stored.json()).toMatchObject({ modelId: expectedOnSecond.id, modelVersion: expectedOnSecond.version });
    expect((await servedVersion(second)).json()).toMatchObject({ id: expectedOnSecond.id, modelVersion: `bundle-${expectedOnSecond.name}` });
  });

  it('a server that cannot load the active model refuses predictions (503) instead of answering with another, until it can', async () => {
    const predictor = loadingPredictor();
    predictor.failing = true;
    const third = await startAnother(predictor);
    const refused = await predictOn(third, 13);
    expect(refused.statusCode).toBe(503);
    expect(refused.json().error).toMatch(/could not load the active model "two"/);
    expect(refused.json().error).not.toMatch(/ENOENT/);
    expect((await servedVersion(third)).statusCode).toBe(503);
    expect((await third.inject({ method: 'GET', url: '/api/models/active/device', headers: { cookie: first.cookie.clinician } })).statusCode).toBe(503);

    predictor.failing = false;
    if (onPostgres) {
      // activating it again (on another server) retries on every server
      expect((await activateOnFirst(models.two)).statusCode).toBe(200);
      await within(1000, () => predictor.loaded?.id === models.two.id);
    } else {
      expect((await third.inject({ method: 'POST', url: `/api/models/${models.two.id}/activate`, headers: { cookie: first.cookie.admin } })).statusCode).toBe(200);
    }
    expect((await predictOn(third, 14)).json()).toMatchObject({ modelId: models.two.id, modelVersion: 'v-two' });
  });

  it.skipIf(!onPostgres)('re-reads the active model when its listening connection comes back, so a missed notification is not missed for long', async () => {
    // an activation whose NOTIFY never came: written straight into the database
    await onDatabase(database!, async (client) => {
      await client.query('BEGIN');
      await client.query('UPDATE models SET active = 0 WHERE active = 1');
      await client.query('UPDATE models SET active = 1 WHERE id = $1', [models.one.id]);
      await client.query('COMMIT');
    });
    await pause(300);
    expect(secondPredictor.loaded?.id).toBe(models.two.id); // no polling: nothing told it yet
    const killed = await onDatabase(database!, async (client) =>
      (await client.query('SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = $1', [listenerApplicationName(schemaOf(database!))])).rows,
    );
    expect(killed.length).toBeGreaterThanOrEqual(2);
    await within(3000, () => secondPredictor.loaded?.id === models.one.id && firstPredictor.loaded?.id === models.one.id);
    expect((await predictOn(second, 15)).json()).toMatchObject({ modelId: models.one.id, modelVersion: 'v-one' });
    // and it listens again: the next activation arrives as before
    expect((await activateOnFirst(models.two)).statusCode).toBe(200);
    await within(1000, () => secondPredictor.loaded?.id === models.two.id);
  });

  it.skipIf(!onPostgres)('two servers activating different models in quick succession both end on the one committed last', async () => {
    const activateOn = (app: FastifyInstance, model: ModelRecord) =>
      app.inject({ method: 'POST', url: `/api/models/${model.id}/activate`, headers: { cookie: first.cookie.admin } });
    for (let round = 0; round < 4; round++) {
      const [here, there] = round % 2 === 0 ? [models.one, models.two] : [models.two, models.one];
      const answers = await Promise.all([activateOn(first.app, here), activateOn(second, there)]);
      expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200]);
      // the raw client reads ids as text
      const committed = await onDatabase(database!, async (client) => (await client.query<{ id: string }>('SELECT id FROM models WHERE active = 1')).rows.map((row) => Number(row.id)));
      expect(committed).toHaveLength(1);
      await within(2000, () => firstPredictor.loaded?.id === committed[0] && secondPredictor.loaded?.id === committed[0]);
      await pause(100);
      expect([firstPredictor.loaded?.id, secondPredictor.loaded?.id]).toEqual([committed[0], committed[0]]);
    }
  });
});
