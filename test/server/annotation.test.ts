import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseCsv } from '../../src/data/index.ts';
import { pngImage } from '../store/fixtures.ts';
import { describeBackends, multipart, startTestServer, type TestServer, type TestUser } from './helpers.ts';

describeBackends('annotation workspace', (backend) => {
  let server: TestServer;
  let projectId: number;
  const images: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({ backend });
    const project = await server.as('admin', {
      method: 'POST',
      url: '/api/projects',
      payload: {
        name: 'Gram morphotypes',
        classTree: [
          { name: 'Gram-positive', children: [{ name: 'GPC clusters' }, { name: 'GPC chains' }] },
          { name: 'Gram-negative', children: [{ name: 'GNR' }] },
        ],
        labelsRequired: 2,
      },
    });
    expect(project.statusCode).toBe(201);
    projectId = project.json().id;
    for (let i = 0; i < 4; i++) {
      const form = multipart([
        { name: 'image', filename: `slide-${i}.png`, data: await pngImage(100 + i) },
        { name: 'patientId', value: `P${i % 2}` },
        { name: 'specimen', value: `S${i}` },
      ]);
      const upload = await server.as('admin', { method: 'POST', url: `/api/projects/${projectId}/images`, ...form });
      expect(upload.statusCode).toBe(201);
      images.push(upload.json().image.sha256);
    }
  });
  afterAll(() => server.close());

  const next = (user: TestUser) => server.as(user, { method: 'GET', url: `/api/projects/${projectId}/queue/next` });
  const label = (user: TestUser, image: string, value: string) =>
    server.as(user, { method: 'POST', url: `/api/projects/${projectId}/annotations`, payload: { image, label: value } });

  it('validates project definitions', async () => {
    const create = (payload: object) => server.as('admin', { method: 'POST', url: '/api/projects', payload });
    expect((await create({ name: 'x', classTree: [{ name: 'a' }], labelsRequired: 1 })).json()).toEqual({ error: 'the class tree needs at least two classes (leaves)' });
    expect((await create({ name: 'x', classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 0 })).statusCode).toBe(400);
    expect((await create({ name: 'x', classTree: [{ name: 'a' }, { name: 'unclear' }], labelsRequired: 1 })).statusCode).toBe(400);
  });

  it('serves the queue in upload order with the choices, never with other annotators’ labels', async () => {
    const first = await next('annotator');
    expect(first.json()).toEqual({
      image: { sha256: images[0], url: `/api/images/${images[0]}` },
      remaining: 4,
      choices: ['GPC clusters', 'GPC chains', 'GNR', 'unclear', 'skip'],
    });
    expect((await server.as('annotator', { method: 'GET', url: first.json().image.url })).statusCode).toBe(200);
    const project = await server.as('annotator', { method: 'GET', url: `/api/projects/${projectId}` });
    expect(project.json()).not.toHaveProperty('votes');
    expect((await server.as('annotator', { method: 'GET', url: `/api/projects/${projectId}/images` })).statusCode).toBe(403);
    expect((await server.as('annotator', { method: 'GET', url: `/api/projects/${projectId}/disagreements` })).statusCode).toBe(403);
  });

  it('accepts two annotators labelling the same image at the same moment', async () => {
    const [a, b] = await Promise.all([label('annotator', images[0], 'GPC clusters'), label('annotator2', images[0], 'GPC chains')]);
    expect(a.json()).toMatchObject({ label: 'GPC clusters', previousLabel: null });
    expect(b.json()).toMatchObject({ label: 'GPC chains', previousLabel: null });
    const [c, d] = await Promise.all([label('annotator', images[1], 'GNR'), label('annotator', images[1], 'GPC chains')]);
    expect([c.statusCode, d.statusCode]).toEqual([200, 200]);
    const all = await server.as('admin', { method: 'GET', url: `/api/projects/${projectId}/images` });
    expect(all.json()[0].votes.map((v: { username: string; label: string }) => `${v.username}:${v.label}`).sort()).toEqual([
      'annotator2:GPC chains',
      'annotator:GPC clusters',
    ]);
    // the same annotator twice: one current label, whichever write came last
    const [vote] = all.json()[1].votes;
    expect(all.json()[1].votes).toHaveLength(1);
    expect(['GNR', 'GPC chains']).toContain(vote.label);
  });

  it('undoes the annotator’s last label and refuses unknown labels', async () => {
    expect((await label('annotator', images[2], 'Gram-positive')).statusCode).toBe(400);
    await label('annotator', images[2], 'GNR');
    const undo = await server.as('annotator', { method: 'POST', url: `/api/projects/${projectId}/annotations/undo` });
    expect(undo.json()).toEqual({ image: { sha256: images[2], url: `/api/images/${images[2]}` }, undoneLabel: 'GNR', restoredLabel: null });
    expect((await next('annotator')).json().image.sha256).toBe(images[2]);
    expect((await server.as('annotator2', { method: 'POST', url: `/api/projects/${projectId}/annotations/undo` })).json()).toMatchObject({ undoneLabel: 'GPC chains' });
    expect((await server.as('annotator2', { method: 'POST', url: `/api/projects/${projectId}/annotations/undo` })).statusCode).toBe(409);
    await label('annotator2', images[0], 'GPC chains');
  });

  it('reports agreement, lists disagreements, adjudicates and exports the manifest', async () => {
    await label('annotator', images[1], 'GPC chains');
    await label('annotator2', images[1], 'GPC chains');
    await label('annotator', images[2], 'GNR');
    await label('annotator2', images[2], 'GNR');
    await label('annotator', images[3], 'GPC clusters');

    const agreement = (await server.as('admin', { method: 'GET', url: `/api/projects/${projectId}/agreement` })).json();
    expect(agreement.categories).toEqual(['GPC clusters', 'GPC chains', 'GNR', 'unclear']);
    expect(agreement.pairs).toEqual([
      { annotators: [{ id: server.ids.annotator, username: 'annotator' }, { id: server.ids.annotator2, username: 'annotator2' }], items: 3, kappa: expect.any(Number) },
    ]);
    // p_o = 2/3; p_e = (1·0 + 1·2 + 1·1)/9 = 1/3 → κ = 0.5
    expect(agreement.pairs[0].kappa).toBeCloseTo(0.5, 10);
    expect(agreement.fleiss).toMatchObject({ items: 3, ratersPerItem: 2 });

    const disagreements = (await server.as('admin', { method: 'GET', url: `/api/projects/${projectId}/disagreements` })).json();
    expect(disagreements.map((d: { image: { sha256: string } }) => d.image.sha256)).toEqual([images[0]]);
    expect(disagreements[0]).toMatchObject({ status: 'no-majority', label: null, adjudicatedLabel: null });

    const adjudicate = (payload: object) => server.as('admin', { method: 'POST', url: `/api/projects/${projectId}/adjudications`, payload });
    expect((await adjudicate({ image: images[0], label: 'nonsense' })).statusCode).toBe(400);
    expect((await adjudicate({ image: 'f'.repeat(64), label: 'GNR' })).statusCode).toBe(404);
    expect((await adjudicate({ image: images[0], label: 'GPC clusters' })).json()).toMatchObject({ status: 'adjudicated', label: 'GPC clusters' });

    const manifest = await server.as('admin', { method: 'GET', url: `/api/projects/${projectId}/manifest.csv` });
    expect(manifest.statusCode).toBe(200);
    expect(manifest.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(manifest.headers['x-images-included']).toBe('3');
    expect(manifest.headers['x-images-left-out']).toBe('1');
    expect(manifest.headers['x-images-left-out-detail']).toBe('awaiting-labels=1, no-majority=0, unclear=0');
    const path = (sha: string) => `images/${sha.slice(0, 2)}/${sha.slice(2)}`;
    expect(parseCsv(manifest.body).map((r) => r.fields)).toEqual([
      ['path', 'label', 'patient_id', 'specimen', 'annotators', 'agreement'],
      [path(images[0]), 'GPC clusters', 'P0', 'S0', '2', '0.500'],
      [path(images[1]), 'GPC chains', 'P1', 'S1', '2', '1.000'],
      [path(images[2]), 'GNR', 'P0', 'S2', '2', '1.000'],
    ]);
    expect((await next('annotator2')).json()).toMatchObject({ image: { sha256: images[3] }, remaining: 1 });
  });
});
