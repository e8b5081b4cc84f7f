import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Predictor } from '../../src/server/index.ts';
import { ServedModel } from '../../src/server/served-model.ts';
import { openStore, type ModelRecord, type Store } from '../../src/store/index.ts';
import { describeBackends } from './helpers.ts';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const quiet = Fastify({ logger: false }).log;
const FAST_RETRY = { firstMs: 20, maxMs: 80 };

/** A predictor whose loads fail while `failing`, and wait for `hold` when it is set; it counts its loads. */
interface ScriptedPredictor extends Predictor {
  loads: number;
  loaded: ModelRecord | null;
  failing: boolean;
  hold: Promise<void> | null;
}

function scriptedPredictor(): ScriptedPredictor {
  const predictor: ScriptedPredictor = {
    loads: 0,
    loaded: null,
    failing: false,
    hold: null,
    async predict() {
      throw new Error('not used');
    },
    async activate(model) {
      predictor.loads++;
      if (predictor.hold) await predictor.hold;
      if (predictor.failing) throw new Error(`ENOENT: no bundle at ${model.path}`);
      predictor.loaded = model;
    },
  };
  return predictor;
}

describeBackends('the served model of one server', (backend) => {
  let root: string;
  let store: Store;
  let model: ModelRecord;
  const served: ServedModel[] = [];
  const follow = (predictor: Predictor) => {
    const servedModel = new ServedModel(store, predictor, quiet, FAST_RETRY);
    served.push(servedModel);
    return servedModel;
  };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'gl-served-'));
    store = await openStore({ dataDir: root, database: await backend.freshDatabase() });
    model = await store.models.register({ path: join(root, 'bundle'), name: 'one', version: 'v1', metrics: null });
    await store.models.activate(model.id);
  });
  afterEach(async () => {
    for (const servedModel of served.splice(0)) await servedModel.close();
    await store.close();
    await rm(root, { recursive: true, force: true });
  });

  it('retries a model it could not load on its own (its files may appear later), and serves it once it loads', async () => {
    const predictor = scriptedPredictor();
    predictor.failing = true;
    const servedModel = follow(predictor);
    await servedModel.start();
    expect(servedModel.current.state).toBe('unavailable');
    await pause(100);
    expect(predictor.loads).toBeGreaterThanOrEqual(2);
    expect(servedModel.current.state).toBe('unavailable');

    predictor.failing = false;
    for (let i = 0; i < 100 && servedModel.current.state !== 'serving'; i++) await pause(10);
    expect(servedModel.current).toMatchObject({ state: 'serving', model: { id: model.id } });
    // and stops trying once it serves it
    const loads = predictor.loads;
    await pause(200);
    expect(predictor.loads).toBe(loads);
  });

  it('stops retrying once closed', async () => {
    const predictor = scriptedPredictor();
    predictor.failing = true;
    const servedModel = follow(predictor);
    await servedModel.start();
    await servedModel.close();
    const loads = predictor.loads;
    predictor.failing = false;
    await pause(200);
    expect(predictor.loads).toBe(loads);
    expect(predictor.loaded).toBeNull();
  });

  it('close() waits for a load in progress (an activation just before shutdown), and nothing loads after it', async () => {
    const predictor = scriptedPredictor();
    const servedModel = follow(predictor);
    await servedModel.start();
    expect(predictor.loaded?.id).toBe(model.id);
    const next = await store.models.register({ path: join(root, 'next'), name: 'next', version: 'v2', metrics: null });
    await store.models.activate(next.id);
    let release!: () => void;
    predictor.hold = new Promise((resolve) => (release = resolve));
    const following = servedModel.follow();
    for (let i = 0; i < 100 && predictor.loads < 2; i++) await pause(10);
    expect(predictor.loads).toBe(2);

    let closed = false;
    const closing = servedModel.close().then(() => (closed = true));
    await pause(50);
    expect(closed).toBe(false);
    release();
    await Promise.all([closing, following]);
    expect(predictor.loaded?.id).toBe(next.id);

    await store.models.activate(model.id);
    await servedModel.follow();
    expect(predictor.loads).toBe(2);
  });
});
