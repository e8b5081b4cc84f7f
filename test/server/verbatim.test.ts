import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseCsv } from '../../src/data/index.ts';
import { NASTY_STRINGS, pngImage } from '../store/fixtures.ts';
import { describeBackends, fakePredictor, login, multipart, startTestServer, type TestServer } from './helpers.ts';

/** What a spreadsheet-safe CSV export shows for a text: formulas get a leading apostrophe. */
const spreadsheetSafe = (text: string) => (/^[=+\-@]/.test(text) ? `'${text}` : text);

describeBackends('SQL-, HTML- and CSV-ish text in every field is stored and returned verbatim', (backend) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ backend, predictor: fakePredictor() });
  });
  afterAll(() => server.close());

  it('usernames', async () => {
    for (const username of NASTY_STRINGS) {
      const created = await server.as('admin', { method: 'POST', url: '/api/users', payload: { username, password: 'verbatim-pass-123', role: 'annotator' } });
      expect(created.json().username).toBe(username);
      const cookie = await login(server.app, username, 'verbatim-pass-123');
      const me = await server.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } });
      expect(me.json().user.username).toBe(username);
    }
    const users = (await server.as('admin', { method: 'GET', url: '/api/users' })).json();
    expect(users.map((u: { username: string }) => u.username)).toEqual(expect.arrayContaining([...NASTY_STRINGS]));
  });

  it('project names, class names, labels, patient ids and specimens', async () => {
    const classTree = [{ name: NASTY_STRINGS[0], children: NASTY_STRINGS.slice(1).map((name) => ({ name })) }, { name: 'plain' }];
    const created = await server.as('admin', { method: 'POST', url: '/api/projects', payload: { name: NASTY_STRINGS[2], classTree, labelsRequired: 1 } });
    expect(created.statusCode).toBe(201);
    const project = (await server.as('annotator', { method: 'GET', url: `/api/projects/${created.json().id}` })).json();
    expect(project.name).toBe(NASTY_STRINGS[2]);
    expect(project.classTree).toEqual(classTree);
    expect(project.classes).toEqual([...NASTY_STRINGS.slice(1), 'plain']);

    for (const [i, text] of NASTY_STRINGS.slice(1).entries()) {
      const form = multipart([
        { name: 'image', filename: 'x.png', data: await pngImage(60 + i) },
        { name: 'patientId', value: text },
        { name: 'specimen', value: text },
      ]);
      const upload = await server.as('admin', { method: 'POST', url: `/api/projects/${project.id}/images`, ...form });
      expect(upload.json()).toMatchObject({ patientId: text, specimen: text });
      const labelled = await server.as('annotator', {
        method: 'POST',
        url: `/api/projects/${project.id}/annotations`,
        payload: { image: upload.json().image.sha256, label: text },
      });
      expect(labelled.json().label).toBe(text);
    }
    const images = (await server.as('admin', { method: 'GET', url: `/api/projects/${project.id}/images` })).json();
    expect(images.map((d: { patientId: string; specimen: string; label: string }) => [d.patientId, d.specimen, d.label])).toEqual(
      NASTY_STRINGS.slice(1).map((text) => [text, text, text]),
    );
    const manifest = (await server.as('admin', { method: 'GET', url: `/api/projects/${project.id}/manifest.csv` })).body;
    const rows = parseCsv(manifest).slice(1);
    expect(rows.map((r) => [r.fields[1], r.fields[2], r.fields[3]])).toEqual(NASTY_STRINGS.slice(1).map((text) => Array(3).fill(spreadsheetSafe(text))));
  });

  it('specimen types, case ids and feedback labels, in JSON and in the audit CSV', async () => {
    const ids: string[] = [];
    for (const [i, text] of NASTY_STRINGS.entries()) {
      const form = multipart([
        { name: 'image', filename: 'x.png', data: await pngImage(80 + i) },
        { name: 'specimenType', value: text },
        { name: 'caseId', value: text },
      ]);
      const prediction = (await server.as('clinician', { method: 'POST', url: '/api/predict', ...form })).json();
      expect([prediction.specimenType, prediction.caseId]).toEqual([text, text]);
      const feedback = await server.as('clinician', { method: 'POST', url: `/api/predictions/${prediction.id}/feedback`, payload: { verdict: 'correct', label: text } });
      expect(feedback.json().feedback.label).toBe(text);
      ids.push(prediction.id);
    }
    const audit = parseCsv((await server.as('admin', { method: 'GET', url: '/api/audit.csv' })).body).map((r) => r.fields);
    const header = audit[0];
    for (const [i, text] of NASTY_STRINGS.entries()) {
      const row = audit.find((fields) => fields[0] === ids[i])!;
      expect(row[header.indexOf('specimen_type')]).toBe(spreadsheetSafe(text));
      expect(row[header.indexOf('case_id')]).toBe(spreadsheetSafe(text));
      expect(row[header.indexOf('feedback_label')]).toBe(spreadsheetSafe(text));
    }
  });

  it('model names and versions', async () => {
    for (const [i, text] of NASTY_STRINGS.entries()) {
      const path = join(server.dataDir, 'bundles', `m${i}`);
      mkdirSync(path, { recursive: true });
      const model = await server.as('admin', { method: 'POST', url: '/api/models', payload: { path, name: text, version: text } });
      expect(model.json()).toMatchObject({ name: text, version: text });
    }
    const models = (await server.as('clinician', { method: 'GET', url: '/api/models' })).json();
    expect(models.map((m: { name: string }) => m.name)).toEqual([...NASTY_STRINGS]);
  });
});
