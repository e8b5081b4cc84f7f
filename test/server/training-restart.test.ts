import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/index.ts';
import { openStore } from '../../src/store/index.ts';
import { tempDir } from '../store/fixtures.ts';
import { describeBackends } from './helpers.ts';

describeBackends('a server starting with the local queue', (backend) => {
  const dirs: ReturnType<typeof tempDir>[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => dir.remove()));

  it("fails the runs its own earlier process left running, and no other server's or worker's", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const database = await backend.freshDatabase();
    const store = await openStore({ dataDir: dir.path, database });
    const admin = (await store.users.ensureInitialAdmin('admin', 'admin-password-1'))!;
    const project = await store.projects.create({ name: 'p', classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 1, createdBy: admin.id });
    const exited = spawnSync(process.execPath, ['-e', '']).pid!;
    const runners = {
      earlierProcess: `server ${hostname()} pid ${exited}`,
      beforeRunnersWereRecorded: null,
      otherHost: `server lab-7 pid ${exited}`,
      worker: `worker ${hostname()} pid ${exited}`,
      liveServer: `server ${hostname()} pid ${process.pid} #99`,
    };
    const ids: Record<string, number> = {};
    for (const [name, runner] of Object.entries(runners)) {
      const run = await store.runs.create(project.id, admin.id);
      await store.runs.markRunning(run.id, 'placeholder');
      await store.db.run('UPDATE training_runs SET runner = ? WHERE id = ?', [runner, run.id]);
      ids[name] = run.id;
    }
    const queued = await store.runs.create(project.id, admin.id);

    const app = createServer({ dataDir: dir.path, database });
    await app.ready();
    const statusOf = async (id: number) => (await store.runs.require(id)).status;
    expect(await statusOf(ids.earlierProcess)).toBe('failed');
    expect(await statusOf(ids.beforeRunnersWereRecorded)).toBe('failed');
    expect((await store.runs.require(ids.earlierProcess)).error).toBe('stopped: the server stopped during training');
    for (const name of ['otherHost', 'worker', 'liveServer']) expect([name, await statusOf(ids[name])]).toEqual([name, 'running']);
    // no trainer here: the queued run waits
    expect(await statusOf(queued.id)).toBe('queued');
    await app.close();
    await store.close();
  });
});

describe('a server given a Redis queue it cannot reach', () => {
  it('fails to start with one line naming the queue, and leaves its database closed', async () => {
    const dir = tempDir();
    try {
      const app = createServer({ dataDir: dir.path, queue: { url: 'redis://:secret@127.0.0.1:1' } });
      await expect(app.ready()).rejects.toThrow(/^cannot use the Redis queue redis:\/\/:\*\*\*@127\.0\.0\.1:1: .*ECONNREFUSED/);
      // the SQLite file is not held open: another store opens and writes it
      const store = await openStore({ dataDir: dir.path });
      await store.projects.create({ name: 'p', classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 1, createdBy: null });
      await store.close();
    } finally {
      dir.remove();
    }
  });
});
