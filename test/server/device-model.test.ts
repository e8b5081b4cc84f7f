import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceModelFiles, Predictor } from '../../src/server/index.ts';
import { startTestServer, type TestServer } from './helpers.ts';

describe('the running model’s files for the device', () => {
  let server: TestServer;
  let files: DeviceModelFiles | null = null;

  beforeAll(async () => {
    const predictor: Predictor = { predict: async () => ({ refusal: { code: 'blank', reason: 'blank' }, modelVersion: 'v' }), deviceFiles: async () => files };
    server = await startTestServer({ predictor });
  });
  afterAll(() => server.close());

  it('answers 404 while no model can run on the device', async () => {
    files = null;
    const response = await server.as('clinician', { method: 'GET', url: '/api/models/active/device' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error).toMatch(/no model that can run on the device/);
  });

  it('gives the version and file URLs, serves the files, and answers 304 while the version holds', async () => {
    const onnxPath = join(server.dataDir, 'model.onnx');
    writeFileSync(onnxPath, Buffer.from([1, 2, 3, 4, 5]));
    files = { modelVersion: 'resnet-small@1', onnxPath, metadata: { classes: ['a', 'b'] }, denseKernel: Float32Array.from([0.5, -2]) };
    const device = (await server.as('clinician', { method: 'GET', url: '/api/models/active/device' })).json();
    expect(device).toEqual({
      modelVersion: 'resnet-small@1',
      onnxBytes: 5,
      files: { model: '/api/models/active/files/model.onnx', metadata: '/api/models/active/files/metadata.json', denseKernel: '/api/models/active/files/dense-kernel.bin' },
    });
    const model = await server.as('clinician', { method: 'GET', url: device.files.model });
    expect([...model.rawPayload]).toEqual([1, 2, 3, 4, 5]);
    expect(model.headers['cache-control']).toBe('private, no-cache');
    expect((await server.as('clinician', { method: 'GET', url: device.files.metadata })).json()).toEqual({ classes: ['a', 'b'] });
    const kernel = (await server.as('clinician', { method: 'GET', url: device.files.denseKernel })).rawPayload;
    expect(Array.from(new Float32Array(kernel.buffer, kernel.byteOffset, kernel.byteLength / 4))).toEqual([0.5, -2]);

    const again = await server.as('clinician', { method: 'GET', url: device.files.model, headers: { 'if-none-match': String(model.headers.etag) } });
    expect(again.statusCode).toBe(304);
    files = { ...files, modelVersion: 'resnet-small@2' };
    const changed = await server.as('clinician', { method: 'GET', url: device.files.model, headers: { 'if-none-match': String(model.headers.etag) } });
    expect(changed.statusCode).toBe(200);
  });

  it('refuses other file names and annotators', async () => {
    expect((await server.as('clinician', { method: 'GET', url: '/api/models/active/files/weights.bin' })).statusCode).toBe(400);
    expect((await server.as('annotator', { method: 'GET', url: '/api/models/active/device' })).statusCode).toBe(403);
  });
});
