import { afterEach, describe, expect, it } from 'vitest';
import { MODEL_ACTIVATED_CHANNEL, openStore, type Store } from '../../src/store/index.ts';
import { scopedChannel } from '../../src/store/postgres-listener.ts';
import { describeBackends } from './backends.ts';
import { tempDir } from './fixtures.ts';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('channel names', () => {
  it('are scoped to the schema and kept within 63 bytes, long schemas by their hash', () => {
    expect(scopedChannel('gramlens_model_activated', 'public')).toBe('gramlens_model_activated_public');
    const long = scopedChannel('gramlens_model_activated', 'x'.repeat(60));
    const otherLong = scopedChannel('gramlens_model_activated', `${'x'.repeat(59)}y`);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(63);
    expect(long.startsWith('gramlens_model_activated_')).toBe(true);
    expect(long).not.toBe(otherLong);
  });
});

describeBackends('activation messages', (backend) => {
  const opened: { store: Store; remove: () => void }[] = [];
  const open = async (database: string | undefined) => {
    const dir = tempDir();
    const store = await openStore({ dataDir: dir.path, database });
    opened.push({ store, remove: dir.remove });
    return store;
  };
  afterEach(async () => {
    for (const { store, remove } of opened.splice(0)) {
      await store.close();
      remove();
    }
  });

  it.skipIf(backend.name !== 'SQLite')('are not sent on SQLite (one machine)', async () => {
    const store = await open(await backend.freshDatabase());
    expect(store.db.listen).toBeUndefined();
    expect(store.db.notify).toBeUndefined();
  });

  it.skipIf(backend.name !== 'PostgreSQL')('reach every store on the same schema when an activation commits, and no store on another schema', async () => {
    const database = await backend.freshDatabase();
    const [activating, listening, elsewhere] = [await open(database), await open(database), await open(await backend.freshDatabase())];
    const heard: string[] = [];
    const heardElsewhere: string[] = [];
    const handlers = (into: string[]) => ({ message: (payload: string) => into.push(payload), reconnected: () => {}, failed: (error: Error) => into.push(`failed: ${error.message}`) });
    await listening.db.listen!(MODEL_ACTIVATED_CHANNEL, handlers(heard));
    await elsewhere.db.listen!(MODEL_ACTIVATED_CHANNEL, handlers(heardElsewhere));
    const model = await activating.models.register({ path: '/bundles/a', name: 'a', version: '1' });
    await expect(activating.db.transaction(async () => {
      await activating.models.activate(model.id);
      throw new Error('rolled back');
    })).rejects.toThrow('rolled back');
    await pause(200);
    expect(heard).toEqual([]); // nothing is sent for an activation that did not commit
    await activating.models.activate(model.id);
    for (let waited = 0; heard.length === 0 && waited < 2000; waited += 10) await pause(10);
    expect(heard).toEqual([String(model.id)]);
    expect(heardElsewhere).toEqual([]);
  });
});
