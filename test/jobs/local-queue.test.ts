import { hostname } from 'node:os';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { LocalJobQueue } from '../../src/jobs/index.ts';
import { openStore, type RunRecord, type Store } from '../../src/store/index.ts';
import { describeBackends } from '../store/backends.ts';
import { pngImage, tempDir } from '../store/fixtures.ts';
import { addImages, addUsers } from '../store/seed.ts';
import { fakeAnswerOf, fakeJobModels, type FakeJobModels } from './fake-models.ts';
import { waitFor } from './follow.ts';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

describeBackends('scoring and re-explanation jobs on the local queue', (backend) => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  let userId: number;
  let projectId: number;
  let modelId: number;
  let images: string[];
  let heatmap: Buffer;
  const queues: LocalJobQueue[] = [];

  beforeEach(async () => {
    dir = tempDir();
    store = await openStore({ dataDir: dir.path, database: await backend.freshDatabase() });
    [userId] = await addUsers(store, ['boss'], 'admin');
    projectId = (await store.projects.create({ name: 'slides', classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 1, createdBy: userId })).id;
    images = await addImages(store, projectId, 6);
    modelId = (await store.models.register({ path: '/models/a', name: 'gram', version: '1' })).id;
    heatmap = await pngImage(99);
  });
  afterEach(async () => {
    for (const queue of queues.splice(0)) await queue.close();
    await store.close();
    dir.remove();
  });

  const startQueue = async (models: FakeJobModels | undefined, runner?: string): Promise<LocalJobQueue> => {
    const queue = new LocalJobQueue(store, { models }, quiet, runner);
    queues.push(queue);
    await queue.start();
    return queue;
  };
  const scoringJob = async (queue?: LocalJobQueue): Promise<RunRecord> => {
    const run = await store.runs.createJob('scoring', { projectId, modelId }, projectId, userId);
    await queue?.submit({ kind: 'scoring', runId: run.id });
    return run;
  };
  const ended = (id: number) => waitFor(`job ${id} to end`, async () => {
    const run = await store.runs.require(id);
    return ['completed', 'failed', 'cancelled'].includes(run.status) && run;
  });

  it('scores every image of the project once with the job’s model, with progress and a summary', async () => {
    const models = fakeJobModels(heatmap, { failing: new Set([images[1]]), refused: new Set([images[2]]) });
    const queue = await startQueue(models);
    const progress: unknown[] = [];
    const job = await scoringJob();
    queue.subscribe(job.id, (run) => progress.push(run.progress));
    await queue.submit({ kind: 'scoring', runId: job.id });
    const finished = await ended(job.id);

    expect(finished).toMatchObject({ status: 'completed', runner: queue.runner, error: null, progress: { done: 6, total: 6 } });
    expect([...models.seen].sort()).toEqual([...images].sort());
    expect(models.loaded).toBe(0);
    expect(progress.at(-1)).toEqual({ done: 6, total: 6 });
    const scores = await store.batchScores.list(job.id);
    expect(scores.map((s) => s.imageSha256)).toEqual(images);
    expect(scores.every((s) => s.modelId === modelId && s.modelVersion === 'fake-2.0')).toBe(true);
    expect(scores[1].output).toEqual({ error: 'the model could not process this image: cannot decode this image' });
    expect(scores[2].output).toMatchObject({ refusal: { code: 'blank' } });
    const answered = images.filter((_, i) => i > 2).map(fakeAnswerOf).concat(fakeAnswerOf(images[0]));
    const perClass: Record<string, number> = {};
    for (const { label } of answered.filter((a) => !a.uncertain)) perClass[label] = (perClass[label] ?? 0) + 1;
    expect(await store.batchScores.summary(job.id)).toEqual({ scored: 6, perClass, uncertain: answered.filter((a) => a.uncertain).length, refused: 1, unread: 0, failed: 1 });
  });

  it('goes on from the recorded results of a job its own earlier process left running: no image scored twice', async () => {
    const job = await scoringJob();
    // a server process of this host that is gone (no such pid) had scored two images
    const gone = `server ${hostname()} pid 999999999`;
    await store.runs.markRunning(job.id, gone);
    for (const image of images.slice(0, 2)) await store.batchScores.record(job.id, gone, { imageSha256: image, modelId, modelVersion: 'fake-1.0', output: { error: 'x' } });

    const models = fakeJobModels(heatmap);
    const queue = await startQueue(models);
    expect(await ended(job.id)).toMatchObject({ status: 'completed', runner: queue.runner, progress: { done: 6, total: 6 } });
    expect([...models.seen].sort()).toEqual(images.slice(2).sort());
    const scores = await store.batchScores.list(job.id);
    expect(scores.map((s) => s.imageSha256).sort()).toEqual([...images].sort());
    expect(scores.slice(0, 2).map((s) => s.runner)).toEqual([gone, gone]);
  });

  it('stops a cancelled job between images and keeps what it scored; a closing server queues its job again', async () => {
    const models = fakeJobModels(heatmap, { gated: true });
    const queue = await startQueue(models);
    const cancelled = await scoringJob(queue);
    models.allow(2);
    await waitFor('two images scored and a third begun', async () => (await store.batchScores.scoredImages(cancelled.id)).size === 2 && models.seen.length === 3);
    await store.runs.cancel(cancelled.id);
    await queue.cancel({ kind: 'scoring', runId: cancelled.id });
    models.allow(1);
    expect(await ended(cancelled.id)).toMatchObject({ status: 'cancelled' });
    await waitFor('the queue to let go of the cancelled job', async () => models.loaded === 0);
    // the third image's result came after the cancellation: refused
    expect((await store.batchScores.scoredImages(cancelled.id)).size).toBe(2);

    const interrupted = await scoringJob(queue);
    models.allow(3);
    await waitFor('three images of the next job scored', async () => (await store.batchScores.scoredImages(interrupted.id)).size === 3 && models.seen.length === 7);
    const closing = queue.close();
    models.allow();
    await closing;
    expect(await store.runs.require(interrupted.id)).toMatchObject({ status: 'queued', runner: null });
    const before = await store.batchScores.scoredImages(interrupted.id);
    const next = fakeJobModels(heatmap);
    await startQueue(next);
    expect(await ended(interrupted.id)).toMatchObject({ status: 'completed' });
    expect(next.seen.filter((sha) => before.has(sha))).toEqual([]);
    expect((await store.batchScores.list(interrupted.id)).map((s) => s.imageSha256).sort()).toEqual([...images].sort());
  });

  it('leaves jobs it cannot run queued, behind none: a queue without job models runs no scoring', async () => {
    const queue = await startQueue(undefined);
    expect(queue.runs('scoring')).toBe(false);
    expect(queue.runs('training')).toBe(false);
    const job = await scoringJob(queue);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await store.runs.require(job.id)).toMatchObject({ status: 'queued' });
    const able = await startQueue(fakeJobModels(heatmap));
    expect(able.runs('explaining')).toBe(true);
    expect(await ended(job.id)).toMatchObject({ status: 'completed', runner: able.runner });
  });

  it('re-explains stored predictions with the class each showed, beside the shown heatmap', async () => {
    const shownHeatmap = await pngImage(7);
    const output = { classes: [{ label: 'b', probability: 0.7 }, { label: 'a', probability: 0.3 }], top: { label: 'b', probability: 0.7 }, uncertain: false };
    const shown = await store.predictions.record({ userId, imageSha256: images[0], modelId, modelVersion: 'v1', output, heatmapPng: shownHeatmap, specimenType: 'blood' });
    const refused = await store.predictions.record({ userId, imageSha256: images[1], modelId, modelVersion: 'v1', output: { refusal: { code: 'noise', reason: 'noise' } }, heatmapPng: null, specimenType: 'blood' });
    const models = fakeJobModels(heatmap);
    const queue = await startQueue(models);
    const job = await store.runs.createJob('explaining', { source: { predictionIds: [shown.id, refused.id] }, modelId, method: 'gradcam++' }, null, userId);
    await queue.submit({ kind: 'explaining', runId: job.id });
    expect(await ended(job.id)).toMatchObject({ status: 'completed', progress: { done: 2, total: 2 } });
    const [first, second] = await store.reexplanations.list(job.id);
    expect(first).toMatchObject({ predictionId: shown.id, imageSha256: images[0], method: 'gradcam++', target: { label: 'b', probability: 0.8 }, hasHeatmap: true });
    expect(second).toMatchObject({ predictionId: refused.id, target: { label: fakeAnswerOf(images[1]).label } });
    expect(await store.predictions.require(shown.id)).toMatchObject({ heatmapShown: true });
  });
});
