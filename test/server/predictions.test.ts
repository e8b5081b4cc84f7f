import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AnsweredResult } from '../../src/contract/index.ts';
import { parseCsv } from '../../src/data/index.ts';
import { pngImage } from '../store/fixtures.ts';
import { describeBackends, fakePredictor, multipart, startTestServer, type FakePredictor, type TestServer, type TestUser } from './helpers.ts';

describeBackends('predictions', (backend) => {
  let server: TestServer;
  let predictor: FakePredictor;
  let heatmap: Buffer;
  let modelId: number;

  beforeAll(async () => {
    heatmap = await pngImage(200, 8, 8);
    predictor = fakePredictor(heatmap);
    server = await startTestServer({ backend, predictor });
    const bundle = join(server.dataDir, 'bundles', 'gram-1');
    mkdirSync(bundle, { recursive: true });
    const model = await server.as('admin', { method: 'POST', url: '/api/models', payload: { path: bundle, name: 'gram', version: '1.0', metrics: { accuracy: 0.91 } } });
    modelId = model.json().id;
    await server.as('admin', { method: 'POST', url: `/api/models/${modelId}/activate` });
  });
  afterAll(() => server.close());

  async function predictAs(user: TestUser, shade: number, extra: { caseId?: string } = {}) {
    const form = multipart([
      { name: 'image', filename: 'field.png', data: await pngImage(shade) },
      { name: 'specimenType', value: 'blood culture' },
      ...(extra.caseId ? [{ name: 'caseId', value: extra.caseId }] : []),
    ]);
    return server.as(user, { method: 'POST', url: '/api/predict', ...form });
  }

  it('classifies, audits and links the heatmap', async () => {
    const response = await predictAs('clinician', 1, { caseId: 'case 17' });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toMatchObject({
      user: { id: server.ids.clinician, username: 'clinician' },
      modelId,
      modelVersion: 'fake-1.0',
      top: { label: 'Gram-positive cocci', probability: 0.7 },
      uncertain: false,
      specimenType: 'blood culture',
      caseId: 'case 17',
      feedback: null,
      heatmapUrl: `/api/predictions/${body.id}/heatmap.png`,
      tree: [{ name: 'Gram-positive', children: [{ name: 'Gram-positive cocci' }] }],
    });
    expect(body.classes).toHaveLength(2);

    const png = await server.as('clinician', { method: 'GET', url: body.heatmapUrl });
    expect(png.statusCode).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.rawPayload).toEqual(heatmap);
    expect((await server.as('clinician2', { method: 'GET', url: body.heatmapUrl })).statusCode).toBe(404);
    expect((await server.as('admin', { method: 'GET', url: body.heatmapUrl })).statusCode).toBe(200);
  });

  it('shows clinicians only their own history and images; admins everything', async () => {
    const mine = (await predictAs('clinician2', 2)).json();
    const own = await server.as('clinician2', { method: 'GET', url: '/api/predictions' });
    expect(own.json().map((p: { id: string }) => p.id)).toEqual([mine.id]);
    const others = await server.as('clinician', { method: 'GET', url: '/api/predictions' });
    expect(others.json().map((p: { id: string }) => p.id)).not.toContain(mine.id);
    const all = await server.as('admin', { method: 'GET', url: '/api/predictions?limit=10' });
    expect(all.json().length).toBeGreaterThanOrEqual(2);
    expect(all.json()[0].id).toBe(mine.id);

    expect((await server.as('clinician', { method: 'GET', url: `/api/predictions/${mine.id}` })).statusCode).toBe(404);
    expect((await server.as('clinician', { method: 'GET', url: mine.image.url })).statusCode).toBe(404);
    expect((await server.as('annotator', { method: 'GET', url: mine.image.url })).statusCode).toBe(404);
    expect((await server.as('clinician2', { method: 'GET', url: mine.image.url })).statusCode).toBe(200);
    expect((await server.as('admin', { method: 'GET', url: mine.image.url })).statusCode).toBe(200);
    expect((await server.as('admin', { method: 'GET', url: '/api/predictions?limit=100000' })).statusCode).toBe(400);
  });

  it('takes the clinician’s feedback on their own predictions', async () => {
    const { id } = (await predictAs('clinician', 3)).json();
    const url = `/api/predictions/${id}/feedback`;
    const agree = await server.as('clinician', { method: 'POST', url, payload: { verdict: 'agree' } });
    expect(agree.json().feedback).toMatchObject({ verdict: 'agree', label: null });
    expect((await server.as('clinician', { method: 'POST', url, payload: { verdict: 'correct' } })).statusCode).toBe(400);
    expect((await server.as('clinician', { method: 'POST', url, payload: { verdict: 'maybe' } })).statusCode).toBe(400);
    const correct = await server.as('clinician', { method: 'POST', url, payload: { verdict: 'correct', label: 'Gram-negative rods' } });
    expect(correct.json().feedback).toMatchObject({ verdict: 'correct', label: 'Gram-negative rods' });
    expect((await server.as('clinician2', { method: 'POST', url, payload: { verdict: 'agree' } })).statusCode).toBe(404);
  });

  it("refuses 'agree' on an 'uncertain: refer' result and takes the laboratory's result, the top class included", async () => {
    const predict = predictor.predict;
    predictor.predict = async (image: Buffer) => ({ ...((await predict(image)) as AnsweredResult), uncertain: true });
    const { id, uncertain } = (await predictAs('clinician', 4)).json();
    predictor.predict = predict;
    expect(uncertain).toBe(true);
    const url = `/api/predictions/${id}/feedback`;
    const agree = await server.as('clinician', { method: 'POST', url, payload: { verdict: 'agree' } });
    expect(agree.statusCode).toBe(409);
    expect(agree.json().error).toMatch(/uncertain: refer/);
    const lab = await server.as('clinician', { method: 'POST', url, payload: { verdict: 'correct', label: 'Gram-positive cocci' } });
    expect(lab.json().feedback).toMatchObject({ verdict: 'correct', label: 'Gram-positive cocci' });
  });

  it("records an admin's correction beside the clinician's verdict, never over it", async () => {
    const { id } = (await predictAs('clinician', 5)).json();
    const url = `/api/predictions/${id}/feedback`;
    await server.as('clinician', { method: 'POST', url, payload: { verdict: 'agree' } });
    const reviewed = (await server.as('admin', { method: 'POST', url, payload: { verdict: 'correct', label: 'yeast' } })).json();
    expect(reviewed.feedback).toMatchObject({ verdict: 'agree', label: null, user: { id: server.ids.clinician, username: 'clinician' } });
    expect(reviewed.feedbackHistory).toMatchObject([
      { verdict: 'agree', label: null, user: { username: 'clinician' } },
      { verdict: 'correct', label: 'yeast', user: { id: server.ids.admin, username: 'admin' } },
    ]);
    const records = parseCsv((await server.as('admin', { method: 'GET', url: '/api/audit.csv' })).body).map((r) => r.fields);
    const row = records.find((r) => r[0] === id)!;
    const column = (name: string) => row[records[0].indexOf(name)];
    expect([column('user'), column('feedback'), column('feedback_label')]).toEqual(['clinician', 'agree', '']);
    expect(JSON.parse(column('feedback_history')).map((entry: { user: string; verdict: string; label: string | null }) => [entry.user, entry.verdict, entry.label])).toEqual([
      ['clinician', 'agree', null],
      ['admin', 'correct', 'yeast'],
    ]);
  });

  it('exports the audit trail as CSV for admins', async () => {
    const response = await server.as('admin', { method: 'GET', url: '/api/audit.csv' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toContain('attachment');
    const records = parseCsv(response.body).map((r) => r.fields);
    expect(records[0].slice(0, 3)).toEqual(['prediction_id', 'time', 'user']);
    const feedbackRow = records.find((r) => r[14] === 'Gram-negative rods');
    expect(feedbackRow).toBeDefined();
    expect(feedbackRow![13]).toBe('correct');
    expect(records.every((r) => r.length === records[0].length)).toBe(true);
  });

  it('defuses formulas hidden behind spaces, line breaks and fullwidth signs in the audit CSV', async () => {
    const hidden = [' =1+1', '\n=1+1', '＝1+1'];
    for (const [i, text] of hidden.entries()) {
      const form = multipart([{ name: 'image', filename: 'x.png', data: await pngImage(40 + i) }, { name: 'specimenType', value: text }, { name: 'caseId', value: text }]);
      expect((await server.as('clinician', { method: 'POST', url: '/api/predict', ...form })).statusCode).toBe(201);
    }
    const records = parseCsv((await server.as('admin', { method: 'GET', url: '/api/audit.csv' })).body).map((r) => r.fields);
    const column = (name: string) => records.slice(1).map((r) => r[records[0].indexOf(name)]);
    for (const name of ['specimen_type', 'case_id']) expect(column(name)).toEqual(expect.arrayContaining(hidden.map((text) => `'${text}`)));
  });

  it('answers 500 with a message and writes no audit row when the model fails', async () => {
    const before = (await server.as('admin', { method: 'GET', url: '/api/predictions' })).json().length;
    const original = predictor.predict;
    predictor.predict = async () => {
      throw new Error('CUDA exploded at /secret/path');
    };
    const response = await predictAs('clinician', 4);
    predictor.predict = original;
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ error: 'The model could not process this image' });
    expect((await server.as('admin', { method: 'GET', url: '/api/predictions' })).json()).toHaveLength(before);
  });
});
