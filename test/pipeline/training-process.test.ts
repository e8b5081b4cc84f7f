import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkTrainer } from '../../src/pipeline/index.ts';
import type { FakeMode } from './fake-trainer-entry.ts';
import { multipart, startTestServer, type TestServer } from '../server/helpers.ts';
import { pngImage } from '../store/fixtures.ts';

const ENTRY = new URL('./fake-trainer-entry.ts', import.meta.url);

function trainer(mode: FakeMode, options: { stopGraceMs?: number; busyMs?: number } = {}) {
  return forkTrainer(ENTRY, { mode, busyMs: options.busyMs }, { stopGraceMs: options.stopGraceMs });
}

describe('training in a child process', () => {
  it('trains in another process and streams its progress', async () => {
    const progress: Record<string, unknown>[] = [];
    const result = await trainer('train').start(7, '/data/manifest-run-7.csv', (p) => progress.push(p), new AbortController().signal);
    expect(result).toEqual({ bundlePath: '/bundles/project-7' });
    expect(progress[0]).toMatchObject({ stage: 'started', manifestCsvPath: '/data/manifest-run-7.csv' });
    expect(progress[0].pid).not.toBe(process.pid);
    expect(progress.slice(1)).toEqual([{ epoch: 1 }, { epoch: 2 }, { epoch: 3 }]);
  });

  it("passes the trainer's failure on", async () => {
    await expect(trainer('fail').start(1, 'm.csv', () => undefined, new AbortController().signal)).rejects.toThrow('the manifest has no images');
  });

  it('fails the run when the child dies', async () => {
    await expect(trainer('crash').start(1, 'm.csv', () => undefined, new AbortController().signal)).rejects.toThrow(
      'the training process died (killed by SIGKILL)',
    );
  });

  it('cancels: the child stops when told, or is killed after the grace period', async () => {
    for (const mode of ['wait-for-cancel', 'ignore-cancel'] as const) {
      const controller = new AbortController();
      const started = new Promise<void>((resolve, reject) => {
        trainer(mode, { stopGraceMs: 300 })
          .start(1, 'm.csv', () => resolve(), controller.signal)
          .then(() => reject(new Error('finished although cancelled')), (error: Error) => outcome.push(error.message));
      });
      const outcome: string[] = [];
      await started;
      controller.abort();
      await expect.poll(() => outcome, { timeout: 10_000 }).toEqual(['training was cancelled']);
    }
  });
});

describe('the server while a project trains', () => {
  let server: TestServer;

  beforeAll(async () => {
    // The first project's training holds its thread for 3 s, any other's process dies.
    const busy = trainer('busy', { busyMs: 3000 });
    const crash = trainer('crash');
    server = await startTestServer({ trainer: { start: (projectId, ...rest) => (projectId === 1 ? busy : crash).start(projectId, ...rest) } });
  });
  afterAll(() => server.close());

  async function launchRun(): Promise<{ id: number }> {
    const project = await server.as('admin', { method: 'POST', url: '/api/projects', payload: { name: 'p', classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 1 } });
    const projectId = project.json().id;
    // Two classes: a one-class project is refused at launch.
    for (const [shade, label] of [
      [3, 'a'],
      [4, 'b'],
    ] as const) {
      const image = await server.as('admin', { method: 'POST', url: `/api/projects/${projectId}/images`, ...multipart([{ name: 'image', filename: `${label}.png`, data: await pngImage(shade) }]) });
      await server.as('admin', { method: 'POST', url: `/api/projects/${projectId}/annotations`, payload: { image: image.json().image.sha256, label } });
    }
    return (await server.as('admin', { method: 'POST', url: '/api/runs', payload: { projectId } })).json();
  }

  it('answers other requests while the training holds its thread, and registers the result', async () => {
    const run = await launchRun();
    const runNow = async () => (await server.as('admin', { method: 'GET', url: `/api/runs/${run.id}` })).json();
    await expect.poll(async () => (await runNow()).progress?.stage, { timeout: 20_000 }).toBe('busy');
    const { from, until } = (await runNow()).progress;
    // Asked once the trainer holds its thread: in the server's process, this would wait for it.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, from + 300 - Date.now())));

    const me = await server.as('clinician', { method: 'GET', url: '/api/auth/me' });
    expect(me.statusCode).toBe(200);
    // answered while the trainer's thread was still busy
    expect(Date.now()).toBeLessThan(until);
    await expect.poll(async () => (await runNow()).status, { timeout: 20_000 }).toBe('completed');
  });

  it('marks the run failed when its process dies', async () => {
    const run = await launchRun();
    await expect.poll(async () => (await server.as('admin', { method: 'GET', url: `/api/runs/${run.id}` })).json(), { timeout: 20_000 }).toMatchObject({
      status: 'failed',
      error: 'the training process died (killed by SIGKILL)',
    });
  });
});
