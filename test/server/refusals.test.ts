import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FieldPredictorResult, PredictorResult, Refusal, WholeFieldResult } from '../../src/contract/index.ts';
import { parseCsv } from '../../src/data/index.ts';
import type { Predictor } from '../../src/server/index.ts';
import { pngImage } from '../store/fixtures.ts';
import { describeBackends, multipart, startTestServer, type TestServer } from './helpers.ts';

const BLANK: Refusal = { code: 'blank', reason: 'the image is blank or almost uniform' };
const FIELD_REFUSAL: Refusal = { code: 'unfamiliar', reason: 'most of the field (30 of the 31 tiles read) is unlike anything the model was trained on', tiles: { read: 31, unfamiliar: 30 } };
const QUALITY_OK: FieldPredictorResult['quality'] = { ok: true, reasons: [], measures: { sharpness: 0.4 } };
const QUALITY_FAILED: FieldPredictorResult['quality'] = { ok: false, reasons: ['out of focus'], measures: { sharpness: 0.1 } };
const QUALITY_REFUSAL: Refusal = { code: 'quality', reason: 'the photo failed the quality check (out of focus)', qualityReasons: ['out of focus'] };
const TREE = [{ name: 'cocci' }, { name: 'rods' }];

/**
 * A model that refuses images of width 10, reads those of width 40 as whole fields (and fails
 * their quality check unless their height is 30), refuses fields of width 50, and answers the rest.
 */
function fakeGuardedPredictor(): Predictor {
  const field = (result: FieldPredictorResult['prediction'], quality = QUALITY_OK): FieldPredictorResult => ({ quality, warnings: [], prediction: result });
  const answeredField = {
    classes: [{ label: 'rods', probability: 0.9 }, { label: 'cocci', probability: 0.1 }],
    top: { label: 'rods', probability: 0.9 },
    uncertain: false,
    modelVersion: 'fake-2',
    tree: TREE,
    heatmapPng: null,
    tileMapPng: null,
    field: { forced: false, quality: { ok: true, reasons: [] }, label: 'rods', morphotypes: [{ label: 'rods', tileCount: 9 }], multiple: false, tiles: { total: 12, inferred: 9 }, legend: [], photoPxPerUm: null, warnings: [] },
  };
  const widthOf = (image: Buffer) => image.readUInt32BE(16);
  const heightOf = (image: Buffer) => image.readUInt32BE(20);
  return {
    async predict(image): Promise<PredictorResult | WholeFieldResult> {
      if (widthOf(image) === 10) return { refusal: BLANK, modelVersion: 'fake-2', tree: TREE };
      if (widthOf(image) === 40) {
        const reason = 'the photo (40×30) is far larger than the model\'s 8 px input: read as a whole microscope field';
        if (heightOf(image) === 30) return { ...field(answeredField), wholeField: reason };
        return { ...field({ refusal: QUALITY_REFUSAL, modelVersion: 'fake-2', tree: TREE }, QUALITY_FAILED), wholeField: reason };
      }
      return { classes: [{ label: 'cocci', probability: 1 }], top: { label: 'cocci', probability: 1 }, uncertain: false, modelVersion: 'fake-2', heatmapPng: null };
    },
    async predictField(image, options): Promise<FieldPredictorResult> {
      if (widthOf(image) === 50) return field({ refusal: FIELD_REFUSAL, modelVersion: 'fake-2', tree: TREE });
      return options.force ? field(answeredField, QUALITY_FAILED) : field(null, QUALITY_FAILED);
    },
  };
}

describeBackends('refusals in the API', (backend) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ backend, predictor: fakeGuardedPredictor() });
  });
  afterAll(() => server.close());

  async function post(url: string, image: Buffer, fields: Record<string, string> = {}) {
    const form = multipart([{ name: 'image', filename: 'photo.png', data: image }, { name: 'specimenType', value: 'sputum' }, ...Object.entries(fields).map(([name, value]) => ({ name, value }))]);
    return server.as('clinician', { method: 'POST', url, ...form });
  }

  it('answers an image the model cannot read with its refusal, no class, and records it in the audit trail', async () => {
    const response = await post('/api/predict', await pngImage(1, 10, 10), { caseId: 'c-1' });
    expect(response.statusCode).toBe(201);
    const prediction = response.json();
    expect(prediction).toMatchObject({ refusal: BLANK, classes: [], top: null, uncertain: false, heatmapUrl: null, caseId: 'c-1', modelVersion: 'fake-2', tree: TREE });
    expect(prediction.field).toBeUndefined();
    expect((await server.as('clinician', { method: 'GET', url: `/api/predictions/${prediction.id}` })).json()).toEqual(prediction);
    expect((await server.as('clinician', { method: 'GET', url: `/api/predictions/${prediction.id}/heatmap.png` })).statusCode).toBe(404);

    const audit = parseCsv((await server.as('admin', { method: 'GET', url: '/api/audit.csv' })).body).map((row) => row.fields);
    const row = audit.find((fields) => fields[0] === prediction.id)!;
    expect(row[audit[0].indexOf('refusal')]).toBe(`blank: ${BLANK.reason}`);
    expect(row[audit[0].indexOf('top_class')]).toBe('');
  });

  it('answers an ordinary image with refusal null', async () => {
    const response = await post('/api/predict', await pngImage(2, 8, 8));
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ refusal: null, top: { label: 'cocci', probability: 1 } });
  });

  it('reads a photo far larger than the model input as a whole field, from POST /api/predict too', async () => {
    const answered = await post('/api/predict', await pngImage(3, 40, 30));
    expect(answered.statusCode).toBe(201);
    expect(answered.json()).toMatchObject({ refusal: null, top: { label: 'rods' }, field: { label: 'rods', tiles: { total: 12, inferred: 9 } } });

    const failed = await post('/api/predict', await pngImage(4, 40, 31));
    expect(failed.statusCode).toBe(201);
    expect(failed.json()).toMatchObject({ refusal: QUALITY_REFUSAL, classes: [], top: null });
    const history = (await server.as('clinician', { method: 'GET', url: '/api/predictions' })).json();
    expect(history.find((p: { id: string }) => p.id === failed.json().id).refusal).toEqual(QUALITY_REFUSAL);
  });

  it('records and answers a refused whole field with 201, whatever force says', async () => {
    for (const force of ['false', 'true']) {
      const response = await post('/api/predict/field', await pngImage(5, 50, 30), { force });
      expect(response.statusCode).toBe(201);
      expect(response.json()).toMatchObject({ quality: QUALITY_OK, prediction: { refusal: FIELD_REFUSAL, classes: [], top: null } });
    }
    const history = (await server.as('clinician', { method: 'GET', url: '/api/predictions' })).json();
    expect(history.filter((p: { refusal: Refusal | null }) => p.refusal?.code === 'unfamiliar')).toHaveLength(2);
  });

  it('refuses a malformed refusal from the model as a server error', async () => {
    const broken = await startTestServer({ backend, predictor: { predict: async () => ({ refusal: { code: 'blank' }, modelVersion: 'x' }) as unknown as PredictorResult } });
    try {
      const form = multipart([{ name: 'image', filename: 'a.png', data: await pngImage(6) }, { name: 'specimenType', value: 'urine' }]);
      const response = await broken.as('clinician', { method: 'POST', url: '/api/predict', ...form });
      expect(response.statusCode).toBe(500);
      expect(response.json().error).toBe('The model returned a malformed result');
    } finally {
      await broken.close();
    }
  });
});
