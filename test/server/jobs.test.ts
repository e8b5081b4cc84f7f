import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BatchJob } from '../../src/contract/index.ts';
import { parseCsv } from '../../src/data/index.ts';
import { pngImage } from '../store/fixtures.ts';
import { fakeAnswerOf, fakeJobModels, type FakeJobModels } from '../jobs/fake-models.ts';
import { waitFor } from '../jobs/follow.ts';
import { describeBackends, fakePredictor, multipart, startTestServer, type TestServer } from './helpers.ts';

describeBackends('scoring and re-explanation jobs through the API', (backend) => {
  let server: TestServer;
  let models: FakeJobModels;
  let heatmap: Buffer;
  let shownHeatmap: Buffer;
  let projectId: number;
  let emptyProjectId: number;
  let images: string[];

  const asAdmin = (method: 'GET' | 'POST', url: string, payload?: object) => server.as('admin', { method, url, payload });
  const ended = (id: number) =>
    waitFor(`job ${id} to end`, async () => {
      const job: BatchJob = (await asAdmin('GET', `/api/jobs/${id}`)).json();
      return ['completed', 'failed', 'cancelled'].includes(job.status) && job;
    });

  beforeAll(async () => {
    heatmap = await pngImage(123);
    shownHeatmap = await pngImage(45);
    models = fakeJobModels(heatmap);
    server = await startTestServer({ backend, jobModels: models, predictor: fakePredictor(shownHeatmap) });
    const create = async (name: string) => (await asAdmin('POST', '/api/projects', { name, classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 1 })).json().id as number;
    projectId = await create('slides');
    emptyProjectId = await create('empty');
    images = [];
    for (let shade = 1; shade <= 5; shade++) {
      const upload = await server.as('admin', { method: 'POST', url: `/api/projects/${projectId}/images`, ...multipart([{ name: 'image', filename: `slide-${shade}.png`, data: await pngImage(shade * 20) }]) });
      images.push(upload.json().image.sha256);
    }
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses to score without an active model, a project without images, and non-admins', async () => {
    expect((await asAdmin('POST', '/api/jobs/scoring', { projectId })).json()).toEqual({ error: 'no model is active: activate one to score with' });
    const folder = join(server.dataDir, 'bundles', 'm1');
    mkdirSync(folder, { recursive: true });
    const model = (await asAdmin('POST', '/api/models', { path: folder, name: 'gram', version: '1' })).json();
    expect((await asAdmin('POST', `/api/models/${model.id}/activate`)).statusCode).toBe(200);
    const empty = await asAdmin('POST', '/api/jobs/scoring', { projectId: emptyProjectId });
    expect([empty.statusCode, empty.json().error]).toEqual([409, 'the project has no images to score']);
    expect((await asAdmin('POST', '/api/jobs/scoring', { projectId: 999 })).statusCode).toBe(404);
    expect((await asAdmin('POST', '/api/jobs/scoring', { projectId: 'x' })).statusCode).toBe(400);
    for (const user of ['clinician', 'annotator'] as const) {
      expect((await server.as(user, { method: 'POST', url: '/api/jobs/scoring', payload: { projectId } })).statusCode).toBe(403);
      expect((await server.as(user, { method: 'GET', url: '/api/jobs' })).statusCode).toBe(403);
    }
  });

  it('scores every image of a project with the active model: summary, CSV, and no audit rows', async () => {
    const auditBefore = (await asAdmin('GET', '/api/predictions?limit=500')).json().length;
    const launched = await asAdmin('POST', '/api/jobs/scoring', { projectId });
    expect(launched.statusCode).toBe(202);
    const job = launched.json() as BatchJob;
    expect(job).toMatchObject({ kind: 'scoring', params: { projectId }, summary: { scored: 0 } });
    const finished = await ended(job.id);
    expect(finished).toMatchObject({ status: 'completed', progress: { done: 5, total: 5 }, error: null });
    const answers = images.map(fakeAnswerOf);
    const perClass: Record<string, number> = {};
    for (const { label } of answers.filter((a) => !a.uncertain)) perClass[label] = (perClass[label] ?? 0) + 1;
    expect(finished.summary).toEqual({ scored: 5, perClass, uncertain: answers.filter((a) => a.uncertain).length, refused: 0, unread: 0, failed: 0 });

    const csv = await asAdmin('GET', `/api/jobs/${job.id}/scores.csv`);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const [, ...rows] = parseCsv(csv.body).map((r) => r.fields);
    expect(rows.map((row) => [row[0], row[1], row[3]])).toEqual(images.map((sha, i) => [sha, `slide-${i + 1}.png`, answers[i].label]));
    expect((await asAdmin('GET', '/api/predictions?limit=500')).json()).toHaveLength(auditBefore);
    expect((await asAdmin('GET', '/api/jobs?kind=scoring')).json().map((j: BatchJob) => j.id)).toContain(job.id);
    expect((await asAdmin('GET', '/api/jobs?kind=explaining')).json().map((j: BatchJob) => j.id)).not.toContain(job.id);
  });

  it('keeps jobs and training runs apart: neither is found under the other’s routes', async () => {
    const job = (await asAdmin('POST', '/api/jobs/scoring', { projectId })).json() as BatchJob;
    await ended(job.id);
    const asRun = await asAdmin('GET', `/api/runs/${job.id}`);
    expect([asRun.statusCode, asRun.json().error]).toEqual([404, `no training run with id ${job.id} (it is a scoring job: see /api/jobs/${job.id})`]);
    expect((await asAdmin('POST', `/api/runs/${job.id}/cancel`)).statusCode).toBe(404);
    expect((await asAdmin('GET', '/api/runs')).json().map((r: { id: number }) => r.id)).not.toContain(job.id);
    expect((await asAdmin('GET', `/api/jobs/${job.id}/explanations`)).statusCode).toBe(404);
    const again = await asAdmin('POST', `/api/jobs/${job.id}/cancel`);
    expect([again.statusCode, again.json().error]).toEqual([409, 'the run has already ended (completed)']);
  });

  it('re-explains stored predictions beside the heatmap shown, whose file stays as it was', async () => {
    const photo = await pngImage(77);
    const predicted = await server.as('clinician', { method: 'POST', url: '/api/predict', ...multipart([{ name: 'image', filename: 'p.png', data: photo }, { name: 'specimenType', value: 'blood' }]) });
    expect(predicted.statusCode).toBe(201);
    const prediction = predicted.json();
    expect((await asAdmin('POST', '/api/jobs/explaining', { predictionIds: ['nope'] })).statusCode).toBe(404);
    expect((await asAdmin('POST', '/api/jobs/explaining', { projectId, predictionIds: [prediction.id] })).statusCode).toBe(400);
    expect((await asAdmin('POST', '/api/jobs/explaining', { projectId, method: 'lime' })).statusCode).toBe(400);

    const job = (await asAdmin('POST', '/api/jobs/explaining', { predictionIds: [prediction.id, prediction.id], method: 'hirescam' })).json() as BatchJob;
    expect(job.params).toMatchObject({ source: { predictionIds: [prediction.id] }, method: 'hirescam' });
    expect(await ended(job.id)).toMatchObject({ status: 'completed', progress: { done: 1, total: 1 }, summary: { explained: 1, refused: 0, failed: 0 } });
    const [explanation] = (await asAdmin('GET', `/api/jobs/${job.id}/explanations`)).json();
    expect(explanation).toMatchObject({ predictionId: prediction.id, method: 'hirescam', target: { label: 'Gram-positive cocci' }, heatmapUrl: `/api/jobs/${job.id}/explanations/${explanation.id}/heatmap.png` });
    const png = await asAdmin('GET', explanation.heatmapUrl);
    expect([png.statusCode, png.headers['content-type']]).toEqual([200, 'image/png']);
    expect(png.rawPayload.equals(heatmap)).toBe(true);
    const shown = await server.as('clinician', { method: 'GET', url: `/api/predictions/${prediction.id}/heatmap.png` });
    expect(shown.rawPayload.equals(shownHeatmap)).toBe(true);
    expect((await asAdmin('GET', `/api/jobs/${job.id}/explanations/${explanation.id + 1000}/heatmap.png`)).statusCode).toBe(404);
  });

  it('cancels a running job on request, keeping what it did', async () => {
    const slow = fakeJobModels(heatmap, { gated: true });
    const other = await startTestServer({ backend, jobModels: slow });
    try {
      const folder = join(other.dataDir, 'bundles', 'm');
      mkdirSync(folder, { recursive: true });
      const model = (await other.as('admin', { method: 'POST', url: '/api/models', payload: { path: folder, name: 'gram', version: '1' } })).json();
      await other.as('admin', { method: 'POST', url: `/api/models/${model.id}/activate` });
      const project = (await other.as('admin', { method: 'POST', url: '/api/projects', payload: { name: 'p', classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 1 } })).json();
      for (let shade = 1; shade <= 3; shade++) {
        await other.as('admin', { method: 'POST', url: `/api/projects/${project.id}/images`, ...multipart([{ name: 'image', filename: 'x.png', data: await pngImage(shade) }]) });
      }
      const job = (await other.as('admin', { method: 'POST', url: '/api/jobs/explaining', payload: { projectId: project.id } })).json() as BatchJob;
      slow.allow(1);
      await waitFor('one image explained', async () => (await other.as('admin', { method: 'GET', url: `/api/jobs/${job.id}` })).json().summary.explained === 1);
      const cancelled = await other.as('admin', { method: 'POST', url: `/api/jobs/${job.id}/cancel` });
      expect(cancelled.json()).toMatchObject({ status: 'cancelled', summary: { explained: 1 } });
      slow.allow();
      await waitFor('the job to let go of its model', async () => slow.loaded === 0);
      expect((await other.as('admin', { method: 'GET', url: `/api/jobs/${job.id}` })).json()).toMatchObject({ status: 'cancelled', summary: { explained: 1 } });
    } finally {
      await other.close();
    }
  });
});
