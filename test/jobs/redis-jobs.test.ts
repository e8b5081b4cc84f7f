import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BatchJob } from '../../src/contract/index.ts';
import { startJobWorker, type JobWorker } from '../../src/jobs/index.ts';
import { createServer } from '../../src/server/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { pngImage } from '../store/fixtures.ts';
import { describeBackends, multipart, startTestServer, type TestServer } from '../server/helpers.ts';
import { fakeJobModels, type FakeJobModels } from './fake-models.ts';
import { followEvents, waitFor } from './follow.ts';
import { describeRedis, FAST_TIMINGS, freshPrefix } from './redis.ts';

const WORKER_CHILD = fileURLToPath(new URL('./worker-child.ts', import.meta.url));
const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const IMAGES = 12;

describeRedis('scoring jobs on a BullMQ queue', (url) => {
  describeBackends('servers and workers sharing the queue', (backend) => {
    const prefix = freshPrefix(url);
    const queue = { url, prefix, timings: FAST_TIMINGS };
    let database: string | undefined;
    let first: TestServer;
    let second: FastifyInstance;
    let secondPort: number;
    let workerStore: Store;
    let projectId: number;
    let heatmap: Buffer;
    const workers: JobWorker[] = [];
    const children: ChildProcess[] = [];

    const startWorker = async (models: FakeJobModels): Promise<JobWorker> => {
      const worker = await startJobWorker({ url, prefix, timings: FAST_TIMINGS, store: workerStore, models, log: quiet });
      workers.push(worker);
      return worker;
    };
    const stopWorker = async (worker: JobWorker): Promise<void> => {
      workers.splice(workers.indexOf(worker), 1);
      await worker.close();
    };
    const launchScoring = async (): Promise<BatchJob> => {
      const response = await first.as('admin', { method: 'POST', url: '/api/jobs/scoring', payload: { projectId } });
      expect(response.statusCode).toBe(202);
      return response.json();
    };
    const followJob = (id: number) => followEvents<BatchJob>(secondPort, `/api/jobs/${id}/events`, first.cookie.admin);

    beforeAll(async () => {
      database = await backend.freshDatabase();
      heatmap = await pngImage(1);
      first = await startTestServer({ backend: { name: backend.name, freshDatabase: async () => database }, queue });
      second = createServer({ dataDir: first.dataDir, database, queue });
      await second.listen({ host: '127.0.0.1', port: 0 });
      secondPort = (second.server.address() as AddressInfo).port;
      workerStore = await openStore({ dataDir: first.dataDir, database });
      const folder = join(first.dataDir, 'bundles', 'm');
      mkdirSync(folder, { recursive: true });
      const model = (await first.as('admin', { method: 'POST', url: '/api/models', payload: { path: folder, name: 'gram', version: '1' } })).json();
      await first.as('admin', { method: 'POST', url: `/api/models/${model.id}/activate` });
      projectId = (await first.as('admin', { method: 'POST', url: '/api/projects', payload: { name: 'slides', classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 1 } })).json().id;
      for (let shade = 1; shade <= IMAGES; shade++) {
        await first.as('admin', { method: 'POST', url: `/api/projects/${projectId}/images`, ...multipart([{ name: 'image', filename: 'x.png', data: await pngImage(shade * 10) }]) });
      }
    });
    afterAll(async () => {
      for (const child of children) child.kill('SIGKILL');
      for (const worker of workers.splice(0)) await worker.close();
      await second?.close();
      await workerStore?.close();
      await first?.app.close();
      if (first) rmSync(first.dataDir, { recursive: true, force: true });
    });

    it('leaves the job queued until a worker takes it, whose progress "n of N" reaches the event stream of another server', async () => {
      const job = await launchScoring();
      expect(job.status).toBe('queued');
      const stream = followJob(job.id);
      await stream.opened;
      const models = fakeJobModels(heatmap, { gated: true });
      const worker = await startWorker(models);
      await waitFor('the worker to take the job', async () => (await workerStore.runs.require(job.id)).status === 'running');
      for (let i = 0; i < IMAGES; i++) {
        models.allow(1);
        // progress is written at most every 250 ms: some steps are seen on the way
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      await stream.ended;
      await stopWorker(worker);

      expect(stream.events[0]).toMatchObject({ event: 'run', data: { status: 'queued', runner: null } });
      expect(stream.events.slice(-2).map((e) => `${e.event}:${e.data.status}`)).toEqual(['run:completed', 'end:completed']);
      const done = stream.events.filter((e) => e.data.status === 'running' && e.data.progress).map((e) => e.data.progress!.done);
      expect(done.length).toBeGreaterThan(1);
      expect([...done].sort((a, b) => a - b)).toEqual(done);
      expect(stream.events.at(-1)!.data).toMatchObject({ progress: { done: IMAGES, total: IMAGES }, runner: worker.runner, summary: { scored: IMAGES } });
      expect(new Set(models.seen).size).toBe(IMAGES);
    });

    it('hands the job of a worker killed with kill -9 mid-scoring to another worker, which completes it with each image scored once', async () => {
      const args = [first.dataDir, database ?? '', url, prefix, 'worker doomed', '1', '1', String(FAST_TIMINGS.lockDurationMs), String(FAST_TIMINGS.stalledIntervalMs), '150'];
      const child = spawn(process.execPath, ['--import', 'tsx', WORKER_CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await new Promise<void>((resolve, reject) => {
        child.stdout!.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`the worker process exited early (${code})`)));
      });
      const job = await launchScoring();
      await waitFor('the doomed worker to score three images', async () => (await workerStore.batchScores.scoredImages(job.id)).size >= 3);
      const stream = followJob(job.id);
      await stream.opened;
      child.kill('SIGKILL');
      await exited;
      const scoredByDoomed = await workerStore.batchScores.scoredImages(job.id);
      expect(scoredByDoomed.size).toBeLessThan(IMAGES);

      const models = fakeJobModels(heatmap);
      const worker = await startWorker(models);
      await stream.ended;
      await stopWorker(worker);
      expect(await workerStore.runs.require(job.id)).toMatchObject({ status: 'completed', runner: worker.runner, error: null, progress: { done: IMAGES, total: IMAGES } });
      const scores = await workerStore.batchScores.list(job.id);
      expect(scores).toHaveLength(IMAGES);
      expect(new Set(scores.map((s) => s.imageSha256)).size).toBe(IMAGES);
      expect(models.seen.filter((sha) => scoredByDoomed.has(sha))).toEqual([]);
      expect(new Set(scores.map((s) => s.runner))).toEqual(new Set(['worker doomed', worker.runner]));
      expect(stream.events.filter((e) => e.event === 'end').map((e) => e.data.status)).toEqual(['completed']);
      expect(stream.events.some((e) => e.data.status === 'failed')).toBe(false);
    });
  });
});
