import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseCsv } from '../../src/data/index.ts';
import type { FieldPredictorResult } from '../../src/contract/index.ts';
import type { Predictor } from '../../src/server/index.ts';
import { pngImage } from '../store/fixtures.ts';
import { describeBackends, fakePredictor, multipart, startTestServer, type TestServer } from './helpers.ts';

const QUALITY_FAILED = { ok: false, reasons: ['out of focus', 'too dark'], measures: { sharpness: 0.1 } };
const QUALITY_REFUSAL = { code: 'quality' as const, reason: 'the photo failed the quality check (out of focus, too dark)', qualityReasons: QUALITY_FAILED.reasons };

/** Fails the quality gate unless forced; then a mixed field with a tile map. */
function fakeFieldPredictor(tileMap: Buffer, heatmap: Buffer) {
  const calls: { pxPerUm?: number; force: boolean }[] = [];
  const predictor: Predictor & { calls: typeof calls } = {
    ...fakePredictor(),
    calls,
    async predictField(_image, options): Promise<FieldPredictorResult> {
      calls.push(options);
      if (!options.force) return { quality: QUALITY_FAILED, warnings: [], prediction: { refusal: QUALITY_REFUSAL, modelVersion: 'fake-field-1' } };
      return {
        quality: QUALITY_FAILED,
        warnings: ['the model does not record its physical scale'],
        prediction: {
          classes: [
            { label: 'polymicrobial', probability: 0.5 },
            { label: 'cocci', probability: 0.3 },
            { label: 'rods', probability: 0.2 },
          ],
          top: { label: 'polymicrobial', probability: 0.5 },
          uncertain: false,
          heatmapPng: heatmap,
          tileMapPng: tileMap,
          modelVersion: 'fake-field-1',
          field: {
            forced: true,
            quality: { ok: false, reasons: QUALITY_FAILED.reasons },
            label: 'polymicrobial',
            morphotypes: [
              { label: 'cocci', tileCount: 12 },
              { label: 'rods', tileCount: 5 },
            ],
            multiple: true,
            tiles: { total: 40, inferred: 31 },
            legend: [
              { label: 'cocci', colour: '#E69F00', tiles: 14 },
              { label: 'rods', colour: '#56B4E9', tiles: 6 },
            ],
            photoPxPerUm: options.pxPerUm ?? null,
            warnings: ['the model does not record its physical scale'],
          },
        },
      };
    },
  };
  return predictor;
}

describeBackends('POST /api/predict/field', (backend) => {
  let server: TestServer;
  let predictor: ReturnType<typeof fakeFieldPredictor>;
  let tileMap: Buffer;

  beforeAll(async () => {
    tileMap = await pngImage(90, 16, 12);
    predictor = fakeFieldPredictor(tileMap, await pngImage(30, 16, 12));
    server = await startTestServer({ backend, predictor });
  });
  afterAll(() => server.close());

  async function predictField(fields: Record<string, string>) {
    const form = multipart([
      { name: 'image', filename: 'field.png', data: await pngImage(5, 40, 30) },
      { name: 'specimenType', value: 'sputum' },
      ...Object.entries(fields).map(([name, value]) => ({ name, value })),
    ]);
    return server.as('clinician', { method: 'POST', url: '/api/predict/field', ...form });
  }

  it('answers and records a failed quality check as a refusal with its reasons', async () => {
    const response = await predictField({ pxPerUm: '22.5' });
    expect(response.statusCode).toBe(201);
    const { quality, prediction } = response.json();
    expect(quality).toEqual(QUALITY_FAILED);
    expect(prediction).toMatchObject({ refusal: QUALITY_REFUSAL, classes: [], top: null, uncertain: false });
    expect(predictor.calls.at(-1)).toEqual({ pxPerUm: 22.5, force: false });
    const history = (await server.as('clinician', { method: 'GET', url: '/api/predictions' })).json();
    expect(history.map((p: { id: string; refusal: unknown }) => [p.id, p.refusal])).toEqual([[prediction.id, QUALITY_REFUSAL]]);
  });

  it('predicts anyway when forced: recorded in the audit trail with its tile map', async () => {
    const response = await predictField({ force: 'true', caseId: 'bed 3' });
    expect(response.statusCode).toBe(201);
    const { prediction, quality } = response.json();
    expect(quality.reasons).toEqual(['out of focus', 'too dark']);
    expect(prediction).toMatchObject({
      top: { label: 'polymicrobial', probability: 0.5 },
      caseId: 'bed 3',
      heatmapUrl: `/api/predictions/${prediction.id}/heatmap.png`,
      field: {
        forced: true,
        label: 'polymicrobial',
        multiple: true,
        morphotypes: [{ label: 'cocci', tileCount: 12 }, { label: 'rods', tileCount: 5 }],
        tileMapUrl: `/api/predictions/${prediction.id}/tilemap.png`,
        photoPxPerUm: null,
      },
    });
    expect(predictor.calls.at(-1)).toEqual({ force: true });

    const png = await server.as('clinician', { method: 'GET', url: prediction.field.tileMapUrl });
    expect(png.statusCode).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.rawPayload).toEqual(tileMap);
    expect((await server.as('clinician2', { method: 'GET', url: prediction.field.tileMapUrl })).statusCode).toBe(404);

    const history = (await server.as('clinician', { method: 'GET', url: '/api/predictions' })).json();
    expect(history[0].field.forced).toBe(true);

    const audit = parseCsv((await server.as('admin', { method: 'GET', url: '/api/audit.csv' })).body).map((r) => r.fields);
    const row = audit.find((fields) => fields[0] === prediction.id)!;
    expect(JSON.parse(row[audit[0].indexOf('field')])).toMatchObject({ forced: true, quality: { ok: false, reasons: ['out of focus', 'too dark'] } });
  });

  it('has no tile map for a single-image prediction, and refuses a bad scale', async () => {
    const form = multipart([
      { name: 'image', filename: 'one.png', data: await pngImage(7) },
      { name: 'specimenType', value: 'urine' },
    ]);
    const single = (await server.as('clinician', { method: 'POST', url: '/api/predict', ...form })).json();
    expect(single.field).toBeUndefined();
    expect((await server.as('clinician', { method: 'GET', url: `/api/predictions/${single.id}/tilemap.png` })).statusCode).toBe(404);

    const bad = await predictField({ pxPerUm: '-3' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/pxPerUm must be a number/);
  });

  it('says so when the server or its model cannot read whole fields', async () => {
    const plain = await startTestServer({ backend, predictor: fakePredictor() });
    const form = multipart([
      { name: 'image', filename: 'field.png', data: await pngImage(5) },
      { name: 'specimenType', value: 'sputum' },
    ]);
    const response = await plain.as('clinician', { method: 'POST', url: '/api/predict/field', ...form });
    expect(response.statusCode).toBe(501);
    await plain.close();

    const unsupported = Object.assign(new Error('the model has no class "no_bacteria" for organism-free tiles'), { name: 'FieldUnsupportedError' });
    const refusing = await startTestServer({ backend, predictor: { ...fakePredictor(), predictField: () => Promise.reject(unsupported) } });
    const refused = await refusing.as('clinician', { method: 'POST', url: '/api/predict/field', ...form });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error).toBe('The active model cannot read whole microscope fields: the model has no class "no_bacteria" for organism-free tiles');
    await refusing.close();
  });
});
