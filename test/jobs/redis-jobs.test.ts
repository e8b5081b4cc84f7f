import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BatchJob } from '../../src/contract/index.ts';
import { pngImage } from '../store/fixtures.ts';
import { describeBackends, multipart } from '../server/helpers.ts';
import { fakeJobModels } from './fake-models.ts';
import { followEvents, waitFor } from './follow.ts';
import { QueueCluster } from './queue-cluster.ts';
import { describeRedis, freshPrefix } from './redis.ts';

const IMAGES = 12;

describeRedis('scoring jobs on a BullMQ queue', (url) => {
  describeBackends('servers and workers sharing the queue', (backend) => {
    const cluster = new QueueCluster(backend, url, freshPrefix(url));
    let projectId: number;
    let heatmap: Buffer;

    const launchScoring = async (): Promise<BatchJob> => {
      const response = await cluster.first.as('admin', { method: 'POST', url: '/api/jobs/scoring', payload: { projectId } });
      expect(response.statusCode).toBe(202);
      return response.json();
    };
    const followJob = (id: number) => followEvents<BatchJob>(cluster.secondPort, `/api/jobs/${id}/events`, cluster.first.cookie.admin);

    beforeAll(async () => {
      await cluster.start();
      const { first } = cluster;
      heatmap = await pngImage(1);
      const folder = join(first.dataDir, 'bundles', 'm');
      mkdirSync(folder, { recursive: true });
      const model = (await first.as('admin', { method: 'POST', url: '/api/models', payload: { path: folder, name: 'gram', version: '1' } })).json();
      await first.as('admin', { method: 'POST', url: `/api/models/${model.id}/activate` });
      projectId = (await first.as('admin', { method: 'POST', url: '/api/projects', payload: { name: 'slides', classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 1 } })).json().id;
      for (let shade = 1; shade <= IMAGES; shade++) {
        await first.as('admin', { method: 'POST', url: `/api/projects/${projectId}/images`, ...multipart([{ name: 'image', filename: 'x.png', data: await pngImage(shade * 10) }]) });
      }
    });
    afterAll(() => cluster.close());

    it('leaves the job queued until a worker takes it, whose progress "n of N" reaches the event stream of another server', async () => {
      const job = await launchScoring();
      expect(job.status).toBe('queued');
      const stream = followJob(job.id);
      await stream.opened;
      const models = fakeJobModels(heatmap, { gated: true });
      const worker = await cluster.startWorker({ models });
      await waitFor('the worker to take the job', async () => (await cluster.workerStore.runs.require(job.id)).status === 'running');
      for (let i = 0; i < IMAGES; i++) {
        models.allow(1);
        // progress is written at most every 250 ms: some steps are seen on the way
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      await stream.ended;
      await cluster.stopWorker(worker);

      expect(stream.events[0]).toMatchObject({ event: 'run', data: { status: 'queued', runner: null } });
      expect(stream.events.slice(-2).map((e) => `${e.event}:${e.data.status}`)).toEqual(['run:completed', 'end:completed']);
      const done = stream.events.filter((e) => e.data.status === 'running' && e.data.progress).map((e) => e.data.progress!.done);
      expect(done.length).toBeGreaterThan(1);
      expect([...done].sort((a, b) => a - b)).toEqual(done);
      expect(stream.events.at(-1)!.data).toMatchObject({ progress: { done: IMAGES, total: IMAGES }, runner: worker.runner, summary: { scored: IMAGES } });
      expect(new Set(models.seen).size).toBe(IMAGES);
    });

    it('hands the job of a worker killed with kill -9 mid-scoring to another worker, which completes it with each image scored once', async () => {
      const { child, exited } = await cluster.spawnWorker('worker doomed', { epochs: 1, epochMs: 1, itemMs: 150 });
      const job = await launchScoring();
      await waitFor('the doomed worker to score three images', async () => (await cluster.workerStore.batchScores.scoredImages(job.id)).size >= 3);
      const stream = followJob(job.id);
      await stream.opened;
      child.kill('SIGKILL');
      await exited;
      const scoredByDoomed = await cluster.workerStore.batchScores.scoredImages(job.id);
      expect(scoredByDoomed.size).toBeLessThan(IMAGES);

      const models = fakeJobModels(heatmap);
      const worker = await cluster.startWorker({ models });
      await stream.ended;
      await cluster.stopWorker(worker);
      expect(await cluster.workerStore.runs.require(job.id)).toMatchObject({ status: 'completed', runner: worker.runner, error: null, progress: { done: IMAGES, total: IMAGES } });
      const scores = await cluster.workerStore.batchScores.list(job.id);
      expect(scores).toHaveLength(IMAGES);
      expect(new Set(scores.map((s) => s.imageSha256)).size).toBe(IMAGES);
      expect(models.seen.filter((sha) => scoredByDoomed.has(sha))).toEqual([]);
      expect(new Set(scores.map((s) => s.runner))).toEqual(new Set(['worker doomed', worker.runner]));
      expect(stream.events.filter((e) => e.event === 'end').map((e) => e.data.status)).toEqual(['completed']);
      expect(stream.events.some((e) => e.data.status === 'failed')).toBe(false);
    });
  });
});
