import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelGate } from '../../src/server/model-gate.ts';
import { pngImage } from '../store/fixtures.ts';
import { describeBackends, fakePredictor, multipart, startTestServer } from './helpers.ts';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the model gate', () => {
  it('lets predictions share the model and an activation wait for them, then hold new ones', async () => {
    const gate = new ModelGate();
    const log: string[] = [];
    const predict = (name: string, ms: number) =>
      gate.use(async () => {
        log.push(`${name} start`);
        await pause(ms);
        log.push(`${name} end`);
      });
    const first = predict('p1', 40);
    const second = predict('p2', 20);
    const swap = gate.swap(async () => {
      log.push('swap');
      await pause(20);
      log.push('swap end');
    });
    const third = predict('p3', 1);
    await Promise.all([first, second, swap, third]);
    expect(log).toEqual(['p1 start', 'p2 start', 'p2 end', 'p1 end', 'swap', 'swap end', 'p3 start', 'p3 end']);
  });
});

describeBackends('activating a model while predictions run', (backend) => {
  it('never disposes the model under a running prediction', async () => {
    let current = { disposed: false };
    let entered = 0;
    const predictor = fakePredictor();
    const predict = predictor.predict.bind(predictor);
    predictor.predict = async (image) => {
      const model = current;
      entered++;
      await pause(100);
      if (model.disposed) throw new Error('the ONNX session was released');
      return predict(image);
    };
    predictor.activate = async () => {
      const previous = current;
      current = { disposed: false };
      previous.disposed = true;
    };
    const server = await startTestServer({ backend, predictor });
    try {
      const bundle = join(server.dataDir, 'bundle');
      mkdirSync(bundle);
      const model = (await server.as('admin', { method: 'POST', url: '/api/models', payload: { path: bundle, name: 'm', version: '1' } })).json();
      const photo = await pngImage(5);
      const prediction = () => server.as('clinician', { method: 'POST', url: '/api/predict', ...multipart([{ name: 'image', filename: 'p.png', data: photo }, { name: 'specimenType', value: 'blood' }]) });
      const activation = () => server.as('admin', { method: 'POST', url: `/api/models/${model.id}/activate` });
      const running = [prediction(), prediction(), prediction()];
      await expect.poll(() => entered).toBe(3);
      // activated while those three are inside the model, with more predictions arriving
      const more = [activation(), prediction(), activation(), prediction()];
      const statuses = (await Promise.all([...running, ...more])).map((response) => response.statusCode);
      expect(statuses).toEqual([201, 201, 201, 200, 201, 200, 201]);
    } finally {
      await server.close();
    }
  });
});
