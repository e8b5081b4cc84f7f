import { describe, expect, it } from 'vitest';
import { bombPng, hostileRequest, type FuzzTargets } from '../../bench/lib/hostile-requests.ts';
import { createRng } from '../../src/util/index.ts';

const TARGETS: FuzzTargets = {
  projectId: 3,
  imageSha: 'a'.repeat(64),
  predictionId: '00000000-0000-4000-8000-000000000001',
  modelId: 2,
  victimUserId: 9,
  runId: 1,
  jpeg: Buffer.from([0xff, 0xd8, 0xff, 0xe0, ...Array(200).fill(1), 0xff, 0xd9]),
  png: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...Array(200).fill(2)]),
  largeJpeg: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0xff, 0xd9]),
};

const draw = (seed: number, n: number) => {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => hostileRequest(rng, TARGETS));
};

describe('hostile requests for the fuzz benchmark', () => {
  it('are the same for the same seed', () => {
    const summary = (requests: ReturnType<typeof draw>) => requests.map((r) => `${r.method} ${r.path} ${r.kind} ${r.body?.length ?? 0}`);
    expect(summary(draw(4, 300))).toEqual(summary(draw(4, 300)));
    expect(summary(draw(5, 300))).not.toEqual(summary(draw(4, 300)));
  });

  it('reach every upload route and every JSON route, with broken images, multipart and JSON of many kinds', () => {
    const requests = draw(1, 3000);
    const routes = new Set(requests.map((r) => `${r.method} ${r.path.split('?')[0]}`));
    for (const route of [
      'POST /api/predict',
      'POST /api/predict/field',
      'POST /api/projects/3/images',
      'POST /api/auth/login',
      'POST /api/users',
      'PATCH /api/users/9',
      'POST /api/projects',
      'POST /api/projects/3/annotations',
      'POST /api/projects/3/annotations/undo',
      'POST /api/projects/3/adjudications',
      'POST /api/models',
      'POST /api/models/2/activate',
      'POST /api/runs',
      'POST /api/runs/1/cancel',
      `POST /api/predictions/${TARGETS.predictionId}/feedback`,
      'POST /api/predictions/sync',
      'POST /api/predictions/feedback/sync',
    ]) {
      expect(routes, route).toContain(route);
    }
    const kinds = new Set(requests.map((r) => r.kind.split('/').slice(-1)[0]));
    for (const kind of ['truncated', 'corrupted', 'bomb', 'polyglot-jpeg-html', 'polyglot-png-zip', 'no-boundary', 'wrong-boundary', 'wrong-type', 'raw-value', 'broken-syntax', 'too-large']) {
      expect(kinds, kind).toContain(kind);
    }
    // never the admin the fuzz logs in as, so its session survives
    expect(requests.filter((r) => r.method === 'PATCH').every((r) => r.path === '/api/users/9')).toBe(true);
  });

  it('makes a decompression bomb: a small PNG declaring a huge size', () => {
    const bomb = bombPng(30_000, 20_000);
    expect(bomb.length).toBeLessThan(10_000);
    expect(bomb.readUInt32BE(16)).toBe(30_000);
    expect(bomb.readUInt32BE(20)).toBe(20_000);
  });
});
