import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends, fakePredictor, startTestServer, type TestServer } from './helpers.ts';

const PART = 'Content-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n';

/** Bodies that are not multipart/form-data as their Content-Type declares. */
const MALFORMED: [string, string, string | Buffer][] = [
  ['no boundary', 'multipart/form-data', `--abc\r\n${PART}xx\r\n--abc--\r\n`],
  ['a wrong boundary', 'multipart/form-data; boundary=abc', `--xyz\r\n${PART}xx\r\n--xyz--\r\n`],
  ['a truncated body', 'multipart/form-data; boundary=abc', `--abc\r\n${PART}\x89PNG\r\n\x1a\n`],
  ['garbage', 'multipart/form-data; boundary=abc', Buffer.from([0, 1, 2, 3, 255, 254, 13, 10, 45, 45, 97])],
];

describeBackends('malformed requests', (backend) => {
  let server: TestServer;
  let projectId: number;

  beforeAll(async () => {
    const predictor = { ...fakePredictor(), predictField: async () => Promise.reject(new Error('not reached')) };
    server = await startTestServer({ backend, predictor });
    projectId = (await server.as('admin', { method: 'POST', url: '/api/projects', payload: { name: 'p', classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 1 } })).json().id;
  });
  afterAll(() => server.close());

  it.each(MALFORMED)('answers multipart with %s with 400 on every upload route', async (_what, contentType, payload) => {
    for (const [user, url] of [
      ['clinician', '/api/predict'],
      ['clinician', '/api/predict/field'],
      ['admin', `/api/projects/${projectId}/images`],
    ] as const) {
      const response = await server.as(user, { method: 'POST', url, headers: { 'content-type': contentType }, payload });
      expect(response.statusCode, `${url}: ${response.body}`).toBe(400);
      expect(response.json().error).toMatch(/^the upload is not a well-formed multipart\/form-data body \(.+\)$/);
    }
  });

  it.each(['offset=99999999999999999999', 'offset=1e400', 'limit=1e400', 'offset=-1', 'limit=0'])('answers GET /api/predictions?%s with 400', async (query) => {
    const response = await server.as('admin', { method: 'GET', url: `/api/predictions?${query}` });
    expect(response.statusCode).toBe(400);
    expect(Object.keys(response.json())).toEqual(['error']);
  });

  it('answers overflowing ids and numbers in JSON bodies with 400', async () => {
    expect((await server.as('admin', { method: 'GET', url: '/api/runs/99999999999999999999' })).statusCode).toBe(400);
    expect((await server.as('admin', { method: 'GET', url: '/api/runs/1e400' })).statusCode).toBe(400);
    const run = await server.as('admin', { method: 'POST', url: '/api/runs', headers: { 'content-type': 'application/json' }, payload: '{"projectId": 1e400}' });
    expect(run.statusCode).toBe(400);
  });
});
