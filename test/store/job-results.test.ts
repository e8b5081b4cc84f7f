import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { BatchScoreOutput } from '../../src/contract/index.ts';
import { parseCsv } from '../../src/data/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { describeBackends } from './backends.ts';
import { pngImage, tempDir } from './fixtures.ts';
import { addImages, addUsers } from './seed.ts';

const answer = (label: string, probability: number, uncertain = false): BatchScoreOutput => ({
  classes: [
    { label, probability },
    { label: 'other', probability: 1 - probability },
  ],
  top: { label, probability },
  uncertain,
});

describeBackends('scoring and re-explanation jobs and their results', (backend) => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  let userId: number;
  let projectId: number;
  let modelId: number;
  let images: string[];

  beforeEach(async () => {
    dir = tempDir();
    store = await openStore({ dataDir: dir.path, database: await backend.freshDatabase(), clock: () => Date.UTC(2025, 5, 1) });
    [userId] = await addUsers(store, ['boss'], 'admin');
    projectId = (await store.projects.create({ name: 'slides', classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 1, createdBy: userId })).id;
    images = await addImages(store, projectId, 4);
    modelId = (await store.models.register({ path: '/models/a', name: 'gram', version: '1' })).id;
  });
  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  const scoringJob = () => store.runs.createJob('scoring', { projectId, modelId }, projectId, userId);
  const score = (runId: number, runner: string, image: string, output: BatchScoreOutput) =>
    store.batchScores.record(runId, runner, { imageSha256: image, modelId, modelVersion: 'v1', output });

  it('keeps jobs of every kind in the runs table, the training list and queue order by kind', async () => {
    const training = await store.runs.create(projectId, userId);
    const scoring = await scoringJob();
    const explaining = await store.runs.createJob('explaining', { source: { predictionIds: ['p'] }, modelId, method: 'gradcam' }, null, userId);
    expect(scoring).toMatchObject({ kind: 'scoring', projectId, params: { projectId, modelId }, status: 'queued', progress: null });
    expect(explaining).toMatchObject({ kind: 'explaining', projectId: null });
    expect((await store.runs.list()).map((run) => run.id)).toEqual([training.id]);
    expect((await store.runs.list(['scoring', 'explaining'])).map((run) => run.id)).toEqual([explaining.id, scoring.id]);
    expect((await store.runs.nextQueued())?.id).toBe(training.id);
    expect((await store.runs.nextQueued(['scoring', 'explaining']))?.id).toBe(scoring.id);
    expect(await store.runs.nextQueued(['explaining'])).toMatchObject({ id: explaining.id });
    expect(await store.runs.nextQueued([])).toBeNull();
    // a training run without a project is refused by the table itself
    await expect(store.db.run("INSERT INTO training_runs (kind, status, created_at) VALUES ('training', 'queued', 0)")).rejects.toThrow();
  });

  it('records each image once per job, only while the runner runs it, append-only', async () => {
    const job = await scoringJob();
    expect(await score(job.id, 'worker a', images[0], answer('a', 0.9))).toBe('refused');
    expect(await store.runs.markRunning(job.id, 'worker a')).toBe(true);
    expect(await score(job.id, 'worker a', images[0], answer('a', 0.9))).toBe('recorded');
    // worker b takes the job over (worker a presumed dead): what a scored stays, and a cannot add more
    expect(await store.runs.markRunning(job.id, 'worker b', true)).toBe(true);
    expect(await score(job.id, 'worker a', images[1], answer('b', 0.8))).toBe('refused');
    expect(await score(job.id, 'worker b', images[0], answer('b', 0.6))).toBe('duplicate');
    expect(await score(job.id, 'worker b', images[1], answer('b', 0.8))).toBe('recorded');
    expect([...(await store.batchScores.scoredImages(job.id))].sort()).toEqual([images[0], images[1]].sort());
    const scores = await store.batchScores.list(job.id);
    expect(scores.map((s) => [s.imageSha256, s.runner, 'top' in s.output ? s.output.top.label : null])).toEqual([
      [images[0], 'worker a', 'a'],
      [images[1], 'worker b', 'b'],
    ]);
    await expect(store.db.run("UPDATE batch_scores SET output = '{}'")).rejects.toThrow(/append-only/);
    await expect(store.db.run('DELETE FROM batch_scores')).rejects.toThrow(/append-only/);
    if (store.db.dialect === 'postgres') await expect(store.db.run('TRUNCATE batch_scores')).rejects.toThrow(/append-only/);
    await store.runs.cancel(job.id);
    expect(await score(job.id, 'worker b', images[2], answer('a', 0.9))).toBe('refused');
  });

  it('summarises and exports the results: confident answers per class, uncertain, refused, unread, failed', async () => {
    const job = await scoringJob();
    await store.runs.markRunning(job.id, 'me');
    const extra = (await addImages(store, projectId, 2, 50)).concat(images);
    await score(job.id, 'me', extra[0], answer('a', 0.9));
    await score(job.id, 'me', extra[1], answer('a', 0.95));
    await score(job.id, 'me', extra[2], answer('b', 0.55, true));
    await score(job.id, 'me', extra[3], { refusal: { code: 'blank', reason: 'the image is blank' } });
    await score(job.id, 'me', extra[4], { unread: { reasons: ['no field of view'] } });
    await score(job.id, 'me', extra[5], { error: '=cmd|bad' });
    expect(await store.batchScores.summary(job.id)).toEqual({ scored: 6, perClass: { a: 2 }, uncertain: 1, refused: 1, unread: 1, failed: 1 });
    const [header, ...rows] = parseCsv(await store.batchScores.csv(job.id)).map((r) => r.fields);
    expect(header).toEqual(['image_sha256', 'original_name', 'result', 'label', 'probability', 'note', 'model_id', 'model_version', 'scored_at']);
    expect(rows.map((row) => row.slice(2, 6))).toEqual([
      ['answer', 'a', '0.9', ''],
      ['answer', 'a', '0.95', ''],
      ['uncertain', 'b', '0.55', ''],
      ['refused', '', '', 'blank: the image is blank'],
      ['unread', '', '', 'no field of view'],
      ['error', '', '', "'=cmd|bad"],
    ]);
    expect(rows[0][8]).toBe('2025-06-01T00:00:00.000Z');
  });

  it('queues again the scoring jobs a gone runner left running, and fails only its training runs', async () => {
    const training = await store.runs.create(projectId, userId);
    const scoring = await scoringJob();
    const alive = await scoringJob();
    await store.runs.markRunning(training.id, 'server gone');
    await store.runs.markRunning(scoring.id, 'server gone');
    await store.runs.markRunning(alive.id, 'server alive');
    await score(scoring.id, 'server gone', images[0], answer('a', 0.9));
    const isGone = (runner: string | null) => runner === 'server gone';
    expect(await store.runs.failInterrupted('gone', isGone)).toBe(1);
    expect(await store.runs.requeueInterrupted(isGone)).toBe(1);
    expect(await store.runs.require(training.id)).toMatchObject({ status: 'failed', error: 'gone' });
    expect(await store.runs.require(scoring.id)).toMatchObject({ status: 'queued', runner: null });
    expect(await store.runs.require(alive.id)).toMatchObject({ status: 'running', runner: 'server alive' });
    expect(await store.batchScores.scoredImages(scoring.id)).toEqual(new Set([images[0]]));
  });

  it('keeps re-explanations beside the shown heatmap: their own file, one per item, append-only', async () => {
    const heatmap = await pngImage(200);
    const shown = await store.predictions.record({ userId, imageSha256: images[0], modelId, modelVersion: 'v1', output: answer('a', 0.9) as never, heatmapPng: heatmap, specimenType: 'blood' });
    const job = await store.runs.createJob('explaining', { source: { predictionIds: [shown.id] }, modelId, method: 'hirescam' }, null, userId);
    await store.runs.markRunning(job.id, 'me');
    const newHeatmap = await pngImage(20);
    const explained = { imageSha256: images[0], predictionId: shown.id, modelId, modelVersion: 'v2', method: 'hirescam' as const };
    expect(await store.reexplanations.record(job.id, 'me', { ...explained, output: { target: { label: 'a', probability: 0.9 }, heatmapPng: newHeatmap } })).toBe('recorded');
    expect(await store.reexplanations.record(job.id, 'me', { ...explained, output: { error: 'again' } })).toBe('duplicate');
    expect(await store.reexplanations.record(job.id, 'me', { ...explained, predictionId: null, imageSha256: images[1], output: { refusal: { code: 'noise', reason: 'noise' } } })).toBe('recorded');
    expect(await store.reexplanations.doneItems(job.id)).toEqual(new Set([shown.id, images[1]]));
    const [first, second] = await store.reexplanations.list(job.id);
    expect(first).toMatchObject({ jobId: job.id, predictionId: shown.id, method: 'hirescam', modelVersion: 'v2', target: { label: 'a', probability: 0.9 }, refusal: null, hasHeatmap: true });
    expect(second).toMatchObject({ predictionId: null, target: null, refusal: { code: 'noise' }, hasHeatmap: false });
    expect(readFileSync((await store.reexplanations.heatmapPathOfRecorded(first.id, job.id))!).equals(newHeatmap)).toBe(true);
    expect(readFileSync(store.predictions.heatmapPathOf(shown.id)).equals(heatmap)).toBe(true);
    expect(await store.reexplanations.heatmapPathOfRecorded(second.id, job.id)).toBeNull();
    expect(existsSync(store.reexplanations.heatmapPathOf(job.id, images[1], 'me'))).toBe(false);
    expect(await store.reexplanations.summary(job.id)).toEqual({ explained: 1, refused: 1, failed: 0 });
    await expect(store.db.run("UPDATE reexplanations SET method = 'gradcam'")).rejects.toThrow(/append-only/);
    await expect(store.db.run('DELETE FROM reexplanations')).rejects.toThrow(/append-only/);
  });

  it("keeps the heatmap its successor recorded when a worker presumed dead wakes up with the same item's", async () => {
    const job = await store.runs.createJob('explaining', { source: { projectId }, modelId, method: 'gradcam' }, projectId, userId);
    await store.runs.markRunning(job.id, 'worker a');
    expect(await store.runs.markRunning(job.id, 'worker b', true)).toBe(true);
    const explained = { imageSha256: images[0], predictionId: null, modelId, modelVersion: 'v1', method: 'gradcam' as const };
    const target = { label: 'a', probability: 0.9 };
    const successors = await pngImage(30);
    expect(await store.reexplanations.record(job.id, 'worker b', { ...explained, output: { target, heatmapPng: successors } })).toBe('recorded');
    expect(await store.reexplanations.record(job.id, 'worker a', { ...explained, output: { target, heatmapPng: await pngImage(40) } })).toBe('refused');
    const [recorded] = await store.reexplanations.list(job.id);
    expect(readFileSync((await store.reexplanations.heatmapPathOfRecorded(recorded.id, job.id))!).equals(successors)).toBe(true);
    expect(existsSync(store.reexplanations.heatmapPathOf(job.id, images[0], 'worker a'))).toBe(false);
  });
});
