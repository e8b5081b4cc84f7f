import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DevicePredictionSync } from '../../src/contract/index.ts';
import { parseCsv } from '../../src/data/index.ts';
import { pngImage } from '../store/fixtures.ts';
import { describeBackends, startTestServer, type TestServer, type TestUser } from './helpers.ts';

const NOW = Date.UTC(2026, 11, 7, 9);
const BUNDLE_VERSION = 'tiny@2026-12-01T00:00:00.000Z';

describeBackends('POST /api/predictions/sync: predictions made on the device', (backend) => {
  let server: TestServer;
  let modelId: number;
  let photo: string;

  beforeAll(async () => {
    server = await startTestServer({
      backend,
      clock: () => NOW,
      bundleVersionOf: async (path) => {
        if (!path.endsWith('good')) throw new Error('no metadata');
        return BUNDLE_VERSION;
      },
    });
    const folder = join(server.dataDir, 'bundles');
    mkdirSync(join(folder, 'good'), { recursive: true });
    modelId = (await server.as('admin', { method: 'POST', url: '/api/models', payload: { path: join(folder, 'good'), name: 'Sputum study', version: 'run-3' } })).json().id;
    photo = (await pngImage(40)).toString('base64');
  });
  afterAll(() => server.close());

  const devicePrediction = (changes: Partial<DevicePredictionSync> = {}): DevicePredictionSync => ({
    idempotencyKey: randomUUID(),
    madeAt: new Date(NOW - 3_600_000).toISOString(),
    device: 'device-1a2b',
    modelId,
    specimenType: 'Blood culture',
    image: photo,
    result: {
      modelVersion: BUNDLE_VERSION,
      classes: [
        { label: 'gpc_clusters', probability: 0.75 },
        { label: 'gnr', probability: 0.25 },
      ],
      top: { label: 'gpc_clusters', probability: 0.75 },
      uncertain: false,
    },
    ...changes,
  });
  const sync = (payload: object, user: TestUser = 'clinician') => server.as(user, { method: 'POST', url: '/api/predictions/sync', payload });
  const auditRows = async () => {
    const records = parseCsv((await server.as('admin', { method: 'GET', url: '/api/audit.csv' })).body).map((r) => r.fields);
    return records.slice(1).map((row) => Object.fromEntries(records[0].map((name, i) => [name, row[i]])));
  };

  it('records it once with the device time, the device mark and the key; a repeated sync answers 200 with the same row', async () => {
    const sent = devicePrediction();
    const first = await sync(sent);
    expect(first.statusCode).toBe(201);
    const recorded = first.json();
    expect(recorded).toMatchObject({
      modelId,
      modelVersion: BUNDLE_VERSION,
      top: { label: 'gpc_clusters', probability: 0.75 },
      createdAt: new Date(NOW).toISOString(),
      onDevice: { madeAt: sent.madeAt, device: 'device-1a2b', idempotencyKey: sent.idempotencyKey },
      heatmapUrl: null,
      user: { username: 'clinician' },
    });
    const again = await sync(sent);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(recorded.id);
    const rows = (await auditRows()).filter((row) => row.idempotency_key === sent.idempotencyKey);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ prediction_id: recorded.id, on_device: 'true', made_at: sent.madeAt, device: 'device-1a2b', time: new Date(NOW).toISOString(), top_class: 'gpc_clusters' });
    // The photo is stored like an uploaded one, and the clinician may see it.
    expect((await server.as('clinician', { method: 'GET', url: recorded.image.url })).statusCode).toBe(200);
  });

  it("keeps a user's key to that user: another clinician cannot claim or read it", async () => {
    const sent = devicePrediction();
    expect((await sync(sent)).statusCode).toBe(201);
    const stolen = await sync(sent, 'clinician2');
    expect(stolen.statusCode).toBe(409);
    expect(stolen.body).not.toContain('gpc_clusters');
  });

  it('records a refusal made on the device, and a whole field with its summary', async () => {
    const refused = await sync(devicePrediction({ result: { modelVersion: BUNDLE_VERSION, refusal: { code: 'blank', reason: 'the image is blank' } } }));
    expect(refused.statusCode).toBe(201);
    expect(refused.json()).toMatchObject({ refusal: { code: 'blank' }, classes: [], top: null });
    const field = {
      forced: false,
      quality: { ok: true, reasons: [] },
      label: 'gnr',
      morphotypes: [{ label: 'gnr', tileCount: 5, confidentTiles: 4 }],
      multiple: false,
      tiles: { total: 9, inferred: 6 },
      legend: [{ label: 'gnr', colour: '#ff0000', tiles: 5, confidentTiles: 4 }],
      photoPxPerUm: 6,
      warnings: [],
    };
    const whole = devicePrediction({ result: { modelVersion: BUNDLE_VERSION, classes: [{ label: 'gnr', probability: 1 }], top: { label: 'gnr', probability: 1 }, uncertain: false, field } });
    const answered = await sync(whole);
    expect(answered.statusCode).toBe(201);
    expect(answered.json().field).toMatchObject({ label: 'gnr', tileMapUrl: null, morphotypes: [{ label: 'gnr', tileCount: 5 }] });
  });

  it("records a whole field whose answer is a group of the label tree, not a class, and refuses a top that is not the field's answer", async () => {
    const field = { forced: false, quality: { ok: true, reasons: [] }, label: 'gram_negative', morphotypes: [{ label: 'gnr', tileCount: 3, confidentTiles: 1 }, { label: 'gnc', tileCount: 3, confidentTiles: 1 }], multiple: false, tiles: { total: 9, inferred: 6 }, legend: [], photoPxPerUm: 6, warnings: [] };
    const classes = [{ label: 'gnr', probability: 0.5 }, { label: 'gnc', probability: 0.4 }, { label: 'no_bacteria', probability: 0.1 }];
    const group = devicePrediction({ result: { modelVersion: BUNDLE_VERSION, classes, top: { label: 'gram_negative', probability: 0.9 }, uncertain: true, field } });
    expect((await sync(group)).statusCode).toBe(201);
    const before = (await auditRows()).length;
    const mismatched = devicePrediction({ result: { modelVersion: BUNDLE_VERSION, classes, top: { label: 'gnr', probability: 0.5 }, uncertain: true, field } });
    const refused = await sync(mismatched);
    expect([refused.statusCode, refused.json().error]).toEqual([400, expect.stringMatching(/field's top must be its answer/)]);
    expect((await auditRows()).length).toBe(before);
  });

  it.each([
    ['probabilities that do not sum to 1', { classes: [{ label: 'a', probability: 0.5 }, { label: 'b', probability: 0.4 }], top: { label: 'a', probability: 0.5 } }, 400, /sum to 1/],
    ['a probability above 1', { classes: [{ label: 'a', probability: 1.5 }, { label: 'b', probability: -0.5 }], top: { label: 'a', probability: 1.5 } }, 400, /\[0, 1\]/],
    ['a top that is not the most probable class', { classes: [{ label: 'a', probability: 0.6 }, { label: 'b', probability: 0.4 }], top: { label: 'b', probability: 0.4 } }, 400, /most probable/],
    ['a class twice', { classes: [{ label: 'a', probability: 0.5 }, { label: 'a', probability: 0.5 }], top: { label: 'a', probability: 0.5 } }, 400, /once/],
    ['a model version the server does not have', { modelVersion: 'tiny@1999-01-01T00:00:00.000Z' }, 422, /version/],
  ])('refuses %s and records nothing', async (_what, resultChanges, status, message) => {
    const before = (await auditRows()).length;
    const sent = devicePrediction();
    const response = await sync({ ...sent, result: { ...sent.result, ...resultChanges } });
    expect(response.statusCode).toBe(status);
    expect(response.json().error).toMatch(message);
    expect((await auditRows()).length).toBe(before);
  });

  it('refuses an unknown model, a time in the future, a key that is not a UUID, and a photo that is not base64', async () => {
    const before = (await auditRows()).length;
    const refusals: [object, number, RegExp][] = [
      [devicePrediction({ modelId: 999 }), 422, /no model 999/],
      [devicePrediction({ madeAt: new Date(NOW + 3_600_000).toISOString() }), 400, /future/],
      [devicePrediction({ idempotencyKey: 'key-1' }), 400, /idempotencyKey/],
      [devicePrediction({ image: 'not base64!' }), 400, /base64/],
      [{ ...devicePrediction(), result: { ...devicePrediction().result, tree: [{ name: 'x'.repeat(300_000) }] } }, 413, /larger than/],
      [{ ...devicePrediction(), result: { modelVersion: BUNDLE_VERSION } }, 400, /result/],
    ];
    for (const [payload, status, message] of refusals) {
      const response = await sync(payload);
      expect([response.statusCode, response.json().error]).toEqual([status, expect.stringMatching(message)]);
    }
    expect((await auditRows()).length).toBe(before);
  });

  it('is for clinicians and admins, logged in, from the same site', async () => {
    expect((await sync(devicePrediction(), 'annotator')).statusCode).toBe(403);
    expect((await server.as(null, { method: 'POST', url: '/api/predictions/sync', payload: devicePrediction() })).statusCode).toBe(401);
    const forged = await server.as('clinician', { method: 'POST', url: '/api/predictions/sync', payload: devicePrediction(), headers: { origin: 'https://evil.example' } });
    expect(forged.statusCode).toBe(403);
  });

  it('adds a verdict given offline once, by the prediction’s key or id, with the device time', async () => {
    const sent = devicePrediction();
    const { id } = (await sync(sent)).json();
    const verdict = { idempotencyKey: randomUUID(), madeAt: new Date(NOW - 60_000).toISOString(), prediction: { idempotencyKey: sent.idempotencyKey }, verdict: 'correct', label: 'gnr' };
    const feedback = (payload: object, user: TestUser = 'clinician') => server.as(user, { method: 'POST', url: '/api/predictions/feedback/sync', payload });
    const first = await feedback(verdict);
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ id, feedback: { verdict: 'correct', label: 'gnr', madeAt: verdict.madeAt, createdAt: new Date(NOW).toISOString() } });
    const again = await feedback(verdict);
    expect(again.statusCode).toBe(200);
    expect(again.json().feedbackHistory).toHaveLength(1);
    const byId = await feedback({ ...verdict, idempotencyKey: randomUUID(), prediction: { id }, verdict: 'agree', label: undefined });
    expect(byId.statusCode).toBe(201);
    expect(byId.json().feedbackHistory.map((f: { verdict: string }) => f.verdict)).toEqual(['correct', 'agree']);
    // Another clinician can neither reach the prediction nor reuse the verdict's key.
    expect((await feedback({ ...verdict, idempotencyKey: randomUUID() }, 'clinician2')).statusCode).toBe(404);
    expect((await feedback(verdict, 'clinician2')).statusCode).toBe(404);
    const unknown = await feedback({ ...verdict, idempotencyKey: randomUUID(), prediction: { idempotencyKey: randomUUID() } });
    expect(unknown.statusCode).toBe(404);
  });

  it('gives the active model and its bundle version', async () => {
    expect((await server.as('clinician', { method: 'GET', url: '/api/models/active/version' })).statusCode).toBe(404);
    await server.as('admin', { method: 'POST', url: `/api/models/${modelId}/activate` });
    expect((await server.as('clinician', { method: 'GET', url: '/api/models/active/version' })).json()).toEqual({ id: modelId, name: 'Sputum study', version: 'run-3', modelVersion: BUNDLE_VERSION });
  });
});
