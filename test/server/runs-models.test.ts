import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ModelRecord } from '../../src/store/index.ts';
import type { Trainer } from '../../src/server/index.ts';
import { pngImage } from '../store/fixtures.ts';
import { describeBackends, multipart, startTestServer, type TestServer } from './helpers.ts';

interface ServerSentEvent {
  event: string;
  data: { status: string; progress: unknown; modelId: number | null; bundlePath: string | null };
}

function parseEvents(text: string): ServerSentEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event:'))
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return { event: eventLine.slice('event: '.length), data: JSON.parse(dataLine.slice('data: '.length)) };
    });
}

/** A fake trainer: waits until released (or aborted), reports three epochs, writes a bundle. */
function fakeTrainer(bundleRoot: () => string) {
  const manifests: string[] = [];
  let release: () => void = () => undefined;
  let released = new Promise<void>((resolve) => (release = resolve));
  const trainer: Trainer = {
    async start(projectId, manifestCsvPath, onProgress, signal) {
      manifests.push(readFileSync(manifestCsvPath, 'utf8'));
      if (signal.aborted) throw new Error('training aborted');
      const aborted = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('training aborted'))));
      await Promise.race([released, aborted]);
      released = new Promise<void>((resolve) => (release = resolve));
      for (let epoch = 1; epoch <= 3; epoch++) {
        onProgress({ epoch, loss: 1 / epoch });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const bundlePath = join(bundleRoot(), `project-${projectId}-${manifests.length}`);
      mkdirSync(bundlePath, { recursive: true });
      writeFileSync(join(bundlePath, 'metadata.json'), JSON.stringify({ metrics: { accuracy: 0.93 } }));
      return { bundlePath };
    },
  };
  return { trainer, manifests, release: () => release() };
}

describeBackends('training runs and models', (backend) => {
  let server: TestServer;
  let fake: ReturnType<typeof fakeTrainer>;
  let projectId: number;
  let port: number;
  const activated: ModelRecord[] = [];

  beforeAll(async () => {
    fake = fakeTrainer(() => join(server.dataDir, 'trained'));
    server = await startTestServer({
      backend,
      trainer: fake.trainer,
      predictor: {
        predict: async () => {
          throw new Error('not used');
        },
        activate: async (model) => {
          if (model.name === 'broken') throw new Error('weights missing');
          activated.push(model);
        },
      },
    });
    const project = await server.as('admin', { method: 'POST', url: '/api/projects', payload: { name: 'train me', classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 1 } });
    projectId = project.json().id;
    for (const [shade, label] of [
      [1, 'a'],
      [2, 'b'],
    ] as const) {
      const upload = await server.as('admin', { method: 'POST', url: `/api/projects/${projectId}/images`, ...multipart([{ name: 'image', filename: 'x.png', data: await pngImage(shade) }]) });
      await server.as('annotator', { method: 'POST', url: `/api/projects/${projectId}/annotations`, payload: { image: upload.json().image.sha256, label } });
    }
    await server.app.listen({ host: '127.0.0.1', port: 0 });
    port = (server.app.server.address() as AddressInfo).port;
  });
  afterAll(() => server.close());

  it('refuses to train a project without decided labels', async () => {
    const empty = await server.as('admin', { method: 'POST', url: '/api/projects', payload: { name: 'empty', classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 1 } });
    const response = await server.as('admin', { method: 'POST', url: '/api/runs', payload: { projectId: empty.json().id } });
    expect(response.statusCode).toBe(409);
    expect((await server.as('admin', { method: 'POST', url: '/api/runs', payload: { projectId: 999 } })).statusCode).toBe(404);
  });

  it('refuses at launch a project whose decided images are all of one class', async () => {
    const single = await server.as('admin', { method: 'POST', url: '/api/projects', payload: { name: 'one class', classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 1 } });
    const id = single.json().id;
    for (const shade of [30, 31]) {
      const upload = await server.as('admin', { method: 'POST', url: `/api/projects/${id}/images`, ...multipart([{ name: 'image', filename: 'x.png', data: await pngImage(shade) }]) });
      await server.as('annotator', { method: 'POST', url: `/api/projects/${id}/annotations`, payload: { image: upload.json().image.sha256, label: 'a' } });
    }
    const response = await server.as('admin', { method: 'POST', url: '/api/runs', payload: { projectId: id } });
    expect(response.statusCode).toBe(409);
    expect(response.json().error).toBe('every decided image (2) is labelled a: a classifier needs decided images of at least two classes');
    expect((await server.as('admin', { method: 'GET', url: '/api/runs' })).json()).toEqual([]);
  });

  it('streams live progress as server-sent events until the run completes, then registers the model', async () => {
    const launched = await server.as('admin', { method: 'POST', url: '/api/runs', payload: { projectId } });
    expect(launched.statusCode).toBe(202);
    const run = launched.json();
    expect(run.status).toBe('running');

    const text = await new Promise<string>((resolve, reject) => {
      const request = httpRequest({ host: '127.0.0.1', port, path: `/api/runs/${run.id}/events`, headers: { cookie: server.cookie.admin } }, (response) => {
        expect(response.statusCode).toBe(200);
        expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
        expect(response.headers['x-content-type-options']).toBe('nosniff');
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          // the first event is the current state: only now let the trainer go on
          if (body === '') setImmediate(fake.release);
          body += chunk;
        });
        response.on('end', () => resolve(body));
      });
      request.on('error', reject);
      request.end();
    });

    const events = parseEvents(text);
    expect(events.map((e) => `${e.event}:${e.data.status}`)).toEqual(['run:running', 'run:running', 'run:running', 'run:running', 'run:completed', 'end:completed']);
    expect(events.slice(1, 4).map((e) => e.data.progress)).toEqual([
      { epoch: 1, loss: 1 },
      { epoch: 2, loss: 0.5 },
      { epoch: 3, loss: 1 / 3 },
    ]);
    const finished = events.at(-1)!.data;
    expect(finished.bundlePath).toMatch(/project-\d+-1$/);
    expect(fake.manifests[0].split('\r\n')[0]).toBe('path,label,patient_id,specimen,annotators,agreement');
    expect(fake.manifests[0].split('\r\n').filter(Boolean)).toHaveLength(3);

    const models = (await server.as('admin', { method: 'GET', url: '/api/models' })).json();
    expect(models.find((m: { id: number }) => m.id === finished.modelId)).toMatchObject({ name: 'train me', version: `run-${run.id}`, metrics: { accuracy: 0.93 }, active: false });

    // a finished run's stream sends its state and the end, then closes
    const replay = await server.as('admin', { method: 'GET', url: `/api/runs/${run.id}/events` });
    expect(parseEvents(replay.body).map((e) => e.event)).toEqual(['run', 'end']);
  });

  it('queues runs one at a time and cancels running and queued runs', async () => {
    const first = (await server.as('admin', { method: 'POST', url: '/api/runs', payload: { projectId } })).json();
    const second = (await server.as('admin', { method: 'POST', url: '/api/runs', payload: { projectId } })).json();
    expect([first.status, second.status]).toEqual(['running', 'queued']);
    while (fake.manifests.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));

    const cancelQueued = await server.as('admin', { method: 'POST', url: `/api/runs/${second.id}/cancel` });
    expect(cancelQueued.json().status).toBe('cancelled');
    const cancelRunning = await server.as('admin', { method: 'POST', url: `/api/runs/${first.id}/cancel` });
    expect(cancelRunning.json().status).toBe('cancelled');
    expect((await server.as('admin', { method: 'POST', url: `/api/runs/${first.id}/cancel` })).statusCode).toBe(409);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const runs = (await server.as('admin', { method: 'GET', url: '/api/runs' })).json();
    expect(runs.filter((r: { status: string }) => r.status === 'cancelled')).toHaveLength(2);
    expect(fake.manifests).toHaveLength(2);
  });

  it('registers bundles and activates exactly one model, keeping the old one if loading fails', async () => {
    const folder = join(server.dataDir, 'bundles');
    mkdirSync(join(folder, 'good'), { recursive: true });
    mkdirSync(join(folder, 'broken'), { recursive: true });
    const register = (payload: object) => server.as('admin', { method: 'POST', url: '/api/models', payload });
    expect((await register({ path: join(folder, 'missing'), name: 'x', version: '1' })).statusCode).toBe(400);
    const good = (await register({ path: join(folder, 'good'), name: 'good', version: '2' })).json();
    const broken = (await register({ path: join(folder, 'broken'), name: 'broken', version: '3' })).json();
    expect((await register({ path: join(folder, 'good'), name: 'again', version: '4' })).statusCode).toBe(409);

    expect((await server.as('admin', { method: 'POST', url: `/api/models/${good.id}/activate` })).json().active).toBe(true);
    const failed = await server.as('admin', { method: 'POST', url: `/api/models/${broken.id}/activate` });
    expect(failed.statusCode).toBe(422);
    expect(failed.json().error).toMatch(/weights missing/);
    const models = (await server.as('clinician', { method: 'GET', url: '/api/models' })).json();
    expect(models.filter((m: { active: boolean }) => m.active).map((m: { id: number }) => m.id)).toEqual([good.id]);
    expect(activated.map((m) => m.id)).toEqual([good.id]);
  });

  it("links a model to its run's evaluation report and serves it with a policy of its own", async () => {
    const run = join(server.dataDir, 'runs', 'study-1');
    mkdirSync(join(run, 'model'), { recursive: true });
    mkdirSync(join(run, 'report'), { recursive: true });
    writeFileSync(join(run, 'report', 'report.html'), '<!doctype html><title>Study 1</title><style>h1{color:red}</style><h1>Study 1: held-out test set</h1>');
    writeFileSync(join(run, 'model', 'metadata.json'), JSON.stringify({ input: { width: 64, height: 64, pxPerUm: 6 } }));
    const withReport = (await server.as('admin', { method: 'POST', url: '/api/models', payload: { path: join(run, 'model'), name: 'study', version: '1' } })).json();
    expect(withReport.reportUrl).toBe(`/api/models/${withReport.id}/report`);
    expect(withReport.inputPxPerUm).toBe(6);
    const report = await server.as('clinician', { method: 'GET', url: withReport.reportUrl });
    expect(report.statusCode).toBe(200);
    expect(report.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(report.headers['content-security-policy']).toContain("style-src 'unsafe-inline'");
    expect(report.headers['content-security-policy']).not.toContain('script-src');
    expect(report.body).toContain('Study 1: held-out test set');

    const models = (await server.as('admin', { method: 'GET', url: '/api/models' })).json();
    const good = models.find((m: { name: string }) => m.name === 'good');
    expect(good.reportUrl).toBeNull();
    expect(good.inputPxPerUm).toBeNull();
    expect((await server.as('admin', { method: 'GET', url: `/api/models/${good.id}/report` })).statusCode).toBe(404);
  });

  it("shows the bundles' server folders to admins only", async () => {
    const forClinician = (await server.as('clinician', { method: 'GET', url: '/api/models' })).json();
    expect(forClinician.length).toBeGreaterThan(0);
    for (const model of forClinician) expect(model).not.toHaveProperty('path');
    expect(JSON.stringify(forClinician)).not.toContain(server.dataDir);
    const forAdmin = (await server.as('admin', { method: 'GET', url: '/api/models' })).json();
    expect(forAdmin.map((m: { path: string }) => m.path)).toContain(join(server.dataDir, 'bundles', 'good'));
  });
});
