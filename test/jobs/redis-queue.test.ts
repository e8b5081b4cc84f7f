import { join } from 'node:path';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { QUEUE_NAME, redisOptionsOf } from '../../src/jobs/index.ts';
import type { RunRecord } from '../../src/store/index.ts';
import { pngImage } from '../store/fixtures.ts';
import { describeBackends, multipart } from '../server/helpers.ts';
import { fakeTrainer } from './fake-trainer.ts';
import { followEvents, waitFor } from './follow.ts';
import { QueueCluster } from './queue-cluster.ts';
import { describeRedis, freshPrefix } from './redis.ts';

type RunEvent = { status: string; progress: { epoch?: number } | null; runner: string | null };

/** A training run's event stream. */
function followRun(port: number, runId: number, cookie: string) {
  return followEvents<RunEvent>(port, `/api/runs/${runId}/events`, cookie);
}

describeRedis('training jobs on a BullMQ queue', (url) => {
  describeBackends('servers and workers sharing the queue', (backend) => {
    const prefix = freshPrefix(url);
    const cluster = new QueueCluster(backend, url, prefix);
    let projectId: number;

    const asAdmin = (request: InjectOptions) => cluster.firstApp.inject({ ...request, headers: { cookie: cluster.first.cookie.admin } });
    const launch = async (): Promise<RunRecord> => {
      const response = await asAdmin({ method: 'POST', url: '/api/runs', payload: { projectId } });
      expect(response.statusCode).toBe(202);
      return response.json();
    };
    const run = (id: number) => cluster.workerStore.runs.require(id);
    const trainer = (options: Partial<Parameters<typeof fakeTrainer>[0]> = {}) => fakeTrainer({ bundleRoot: join(cluster.first.dataDir, 'trained'), ...options });
    const startWorker = (fake: ReturnType<typeof fakeTrainer>) => cluster.startWorker({ trainer: fake });

    beforeAll(async () => {
      await cluster.start();
      const { first } = cluster;
      const project = await first.as('admin', { method: 'POST', url: '/api/projects', payload: { name: 'queued', classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 1 } });
      projectId = project.json().id;
      for (const [shade, label] of [
        [1, 'a'],
        [2, 'b'],
      ] as const) {
        const upload = await first.as('admin', { method: 'POST', url: `/api/projects/${projectId}/images`, ...multipart([{ name: 'image', filename: 'x.png', data: await pngImage(shade) }]) });
        await first.as('annotator', { method: 'POST', url: `/api/projects/${projectId}/annotations`, payload: { image: upload.json().image.sha256, label } });
      }
    });
    afterAll(() => cluster.close());

    it('leaves the run queued until a worker takes it, whose progress reaches the event stream of another server', async () => {
      const launched = await launch();
      expect(launched.status).toBe('queued');
      const fake = trainer({ gated: true, epochs: 3, epochMs: 30 });
      const stream = followRun(cluster.secondPort, launched.id, cluster.first.cookie.admin);
      await stream.opened;
      const worker = await startWorker(fake);
      await waitFor('the worker to take the run', async () => (await run(launched.id)).status === 'running');
      fake.release();
      await stream.ended;
      await cluster.stopWorker(worker);

      expect(stream.events[0]).toMatchObject({ event: 'run', data: { status: 'queued', runner: null } });
      expect(stream.events.slice(-2).map((e) => `${e.event}:${e.data.status}`)).toEqual(['run:completed', 'end:completed']);
      const epochs = stream.events.filter((e) => e.data.status === 'running' && e.data.progress).map((e) => e.data.progress!.epoch);
      expect(epochs.length).toBeGreaterThan(0);
      expect(epochs.at(-1)).toBe(3);
      expect([...epochs].sort()).toEqual(epochs);
      const finished = await run(launched.id);
      expect(finished).toMatchObject({ status: 'completed', runner: worker.runner, error: null });
      const models = (await asAdmin({ method: 'GET', url: '/api/models' })).json();
      expect(models.filter((m: { id: number }) => m.id === finished.modelId)).toMatchObject([{ name: 'queued', version: `run-${launched.id}` }]);
    });

    it('keeps queued jobs through a restart of the servers, and queues a run whose job was never added', async () => {
      const launched = await launch();
      await cluster.firstApp.close();
      await cluster.second.close();
      // a server that died between writing a run and adding its job
      const orphan = await cluster.workerStore.runs.create(projectId, cluster.first.ids.admin);
      const { Redis } = await import('ioredis');
      const { Queue } = await import('bullmq');
      const connection = new Redis({ ...redisOptionsOf(url), maxRetriesPerRequest: null });
      const jobs = new Queue(QUEUE_NAME, { connection, prefix });
      expect(await (await jobs.getJob(`training-${launched.id}`))?.getState()).toBe('waiting');
      expect(await jobs.getJob(`training-${orphan.id}`)).toBeUndefined();

      await cluster.reopenFirst();
      await cluster.startSecond();
      expect(await (await jobs.getJob(`training-${orphan.id}`))?.getState()).toBe('waiting');
      await jobs.close();
      connection.disconnect();

      const worker = await startWorker(trainer());
      await waitFor('both runs to complete', async () => (await run(launched.id)).status === 'completed' && (await run(orphan.id)).status === 'completed');
      await cluster.stopWorker(worker);
    });

    it('hands the job of a worker killed with kill -9 mid-run to another worker, which completes the run once', async () => {
      const { child, exited } = await cluster.spawnWorker('worker doomed', { epochs: 50, epochMs: 100 });
      const launched = await launch();
      await waitFor('the doomed worker to report progress', async () => {
        const current = await run(launched.id);
        return current.runner === 'worker doomed' && ((current.progress as { epoch?: number } | null)?.epoch ?? 0) >= 2;
      });
      const stream = followRun(cluster.secondPort, launched.id, cluster.first.cookie.admin);
      await stream.opened;
      child.kill('SIGKILL');
      await exited;

      const fake = trainer();
      const worker = await startWorker(fake);
      await stream.ended;
      await cluster.stopWorker(worker);
      expect(await run(launched.id)).toMatchObject({ status: 'completed', runner: worker.runner, error: null });
      expect(fake.started).toEqual([projectId]);
      expect(stream.events.filter((e) => e.event === 'end').map((e) => e.data.status)).toEqual(['completed']);
      expect(stream.events.some((e) => e.data.status === 'failed')).toBe(false);
      // the takeover is visible: the run was 'running' by the new worker before it completed
      expect(stream.events.some((e) => e.data.status === 'running' && e.data.runner === worker.runner)).toBe(true);
      const models = (await asAdmin({ method: 'GET', url: '/api/models' })).json();
      expect(models.filter((m: { version: string }) => m.version === `run-${launched.id}`)).toHaveLength(1);
    });

    it('stops the trainer on the worker running a run cancelled on another server, and drops a waiting job', async () => {
      const fake = trainer({ gated: true });
      const worker = await startWorker(fake);
      const running = await launch();
      await waitFor('the worker to take the run', async () => (await run(running.id)).status === 'running');
      const waiting = await launch();

      const cancelWaiting = await cluster.second.inject({ method: 'POST', url: `/api/runs/${waiting.id}/cancel`, headers: { cookie: cluster.first.cookie.admin } });
      expect(cancelWaiting.json()).toMatchObject({ status: 'cancelled' });
      const cancelRunning = await cluster.second.inject({ method: 'POST', url: `/api/runs/${running.id}/cancel`, headers: { cookie: cluster.first.cookie.admin } });
      expect(cancelRunning.json()).toMatchObject({ status: 'cancelled', runner: worker.runner });
      await waitFor('the trainer to be stopped', async () => fake.aborted === 1);
      await cluster.stopWorker(worker);
      expect(await run(running.id)).toMatchObject({ status: 'cancelled', bundlePath: null, modelId: null });
      expect(await run(waiting.id)).toMatchObject({ status: 'cancelled', runner: null });
      expect(fake.started).toEqual([projectId]);
    });

    it('hands a running job back to the queue when its worker is stopped, for another worker to complete', async () => {
      const stopping = await startWorker(trainer({ gated: true }));
      const launched = await launch();
      await waitFor('the worker to take the run', async () => (await run(launched.id)).status === 'running');
      await cluster.stopWorker(stopping);
      expect(await run(launched.id)).toMatchObject({ status: 'queued', runner: null });
      const worker = await startWorker(trainer());
      await waitFor('the run to complete', async () => (await run(launched.id)).status === 'completed');
      await cluster.stopWorker(worker);
      expect(await run(launched.id)).toMatchObject({ runner: worker.runner, error: null });
    });
  });
});
