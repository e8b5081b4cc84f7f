import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { parseCsv } from '../../src/data/index.ts';
import { openStore, type PredictionOutput, type Store } from '../../src/store/index.ts';
import { describeBackends } from './backends.ts';
import { pngImage, tempDir } from './fixtures.ts';
import { addUsers } from './seed.ts';

const OUTPUT: PredictionOutput = {
  classes: [
    { label: 'cocci', probability: 0.8 },
    { label: 'rods', probability: 0.2 },
  ],
  top: { label: 'cocci', probability: 0.8 },
  uncertain: false,
};

describeBackends('predictions audit trail, models and runs', (backend) => {
  let database: string | undefined;
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  let userId: number;
  let sha: string;

  beforeEach(async () => {
    dir = tempDir();
    database = await backend.freshDatabase();
    store = await openStore({ dataDir: dir.path, database, clock: () => Date.UTC(2025, 5, 1) });
    [userId] = await addUsers(store, ['doc'], 'clinician');
    sha = (await store.images.ingest(await pngImage(9))).sha256;
  });
  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  const record = (fields: Partial<Parameters<Store['predictions']['record']>[0]> = {}) =>
    store.predictions.record({ userId, imageSha256: sha, modelId: null, modelVersion: 'v1', output: OUTPUT, heatmapPng: null, specimenType: 'blood', ...fields });

  it('refuses UPDATE and DELETE of audit rows at the database level', async () => {
    const prediction = await record({ caseId: 'case-1' });
    await expect(store.db.run("UPDATE predictions SET model_version = 'forged' WHERE id = ?", [prediction.id])).rejects.toThrow(/append-only/);
    await expect(store.db.run('DELETE FROM predictions WHERE id = ?', [prediction.id])).rejects.toThrow(/append-only/);
    await expect(store.db.run('DELETE FROM predictions')).rejects.toThrow(/append-only/);
    if (store.db.dialect === 'postgres') {
      await expect(store.db.run('TRUNCATE predictions CASCADE')).rejects.toThrow(/append-only/);
      await expect(store.db.run('TRUNCATE prediction_feedback')).rejects.toThrow(/append-only/);
    }
    expect(await store.predictions.require(prediction.id)).toMatchObject({ modelVersion: 'v1', caseId: 'case-1' });
  });

  it('reads several predictions in one call, only those that exist', async () => {
    const [a, b] = [await record({ caseId: 'a' }), await record({ caseId: 'b' })];
    const found = await store.predictions.getMany([a.id, 'not-a-uuid', '00000000-0000-4000-8000-000000000000', b.id]);
    expect([...found.keys()].sort()).toEqual([a.id, b.id].sort());
    expect(found.get(b.id)).toEqual(await store.predictions.require(b.id));
    expect((await store.predictions.getMany([])).size).toBe(0);
  });

  it('keeps every verdict with its author: a reviewer adds one, never replaces the clinician’s', async () => {
    const [adminId] = await addUsers(store, ['reviewer'], 'admin');
    const prediction = await record();
    let now = Date.UTC(2025, 5, 1, 9);
    const clocked = await openStore({ dataDir: dir.path, database, clock: () => now });
    try {
      await clocked.predictions.addFeedback(prediction.id, userId, 'agree');
      now += 60_000;
      const reviewed = await clocked.predictions.addFeedback(prediction.id, adminId, 'correct', 'yeast');
      expect(reviewed.feedback).toMatchObject({ verdict: 'agree', label: null, userId, username: 'doc' });
      expect(reviewed.feedbackHistory).toEqual([
        { verdict: 'agree', label: null, userId, username: 'doc', createdAt: Date.UTC(2025, 5, 1, 9) },
        { verdict: 'correct', label: 'yeast', userId: adminId, username: 'reviewer', createdAt: Date.UTC(2025, 5, 1, 9, 1) },
      ]);
      await expect(clocked.predictions.addFeedback(prediction.id, userId, 'correct')).rejects.toThrow(/label/);
      await expect(store.db.run("UPDATE prediction_feedback SET verdict = 'agree', label = NULL")).rejects.toThrow(/append-only/);
      await expect(store.db.run('DELETE FROM prediction_feedback')).rejects.toThrow(/append-only/);

      const [header, row] = parseCsv(await clocked.predictions.auditCsv()).map((r) => r.fields);
      const column = (name: string) => row[header.indexOf(name)];
      expect([column('user'), column('feedback'), column('feedback_label'), column('feedback_time')]).toEqual(['doc', 'agree', '', '2025-06-01T09:00:00.000Z']);
      expect(JSON.parse(column('feedback_history'))).toEqual([
        { user: 'doc', verdict: 'agree', label: null, time: '2025-06-01T09:00:00.000Z' },
        { user: 'reviewer', verdict: 'correct', label: 'yeast', time: '2025-06-01T09:01:00.000Z' },
      ]);
    } finally {
      await clocked.close();
    }
  });

  it('reads audit rows written when a class probability was spelt {name, probability}', async () => {
    const id = '00000000-0000-4000-8000-000000000001';
    const old = { classes: [{ name: 'rods', probability: 0.6 }, { name: 'cocci', probability: 0.4 }], top: { name: 'rods', probability: 0.6 }, uncertain: true };
    await store.db.run(
      'INSERT INTO predictions (id, created_at, user_id, image_sha256, model_id, model_version, output, heatmap_shown, specimen_type) VALUES (?, 0, ?, ?, NULL, ?, ?, 0, ?)',
      [id, userId, sha, 'v0', JSON.stringify(old), 'urine'],
    );
    expect((await store.predictions.require(id)).output).toEqual({
      classes: [{ label: 'rods', probability: 0.6 }, { label: 'cocci', probability: 0.4 }],
      top: { label: 'rods', probability: 0.6 },
      uncertain: true,
    });
    const row = (await store.predictions.auditCsv()).split('\r\n')[1];
    expect(row).toContain(',v0,rods,0.6,true,"[{""label"":""rods"",""probability"":0.6},{""label"":""cocci"",""probability"":0.4}]",');
  });

  it('writes the heatmap before the row and records that it was shown', async () => {
    const heatmap = await pngImage(1);
    const withHeatmap = await record({ heatmapPng: heatmap });
    expect(withHeatmap.heatmapShown).toBe(true);
    expect(readFileSync(store.predictions.heatmapPathOf(withHeatmap.id))).toEqual(heatmap);
    const without = await record();
    expect(without.heatmapShown).toBe(false);
    expect(existsSync(store.predictions.heatmapPathOf(without.id))).toBe(false);
  });

  it('exports the audit trail as CSV with quoting and defused formulas', async () => {
    await record({ specimenType: '=cmd|"/c calc"!A1', caseId: '+1, "two"\nthree' });
    await record({ specimenType: '@SUM(A1)', caseId: '-5' });
    const csv = await store.predictions.auditCsv();
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(
      'prediction_id,time,user,image_sha256,model_id,model_version,top_class,top_probability,uncertain,classes,heatmap_shown,specimen_type,case_id,feedback,feedback_label,feedback_time,field,refusal,feedback_history,field_evidence,on_device,made_at,device,idempotency_key',
    );
    expect(csv).toContain(`"'=cmd|""/c calc""!A1","'+1, ""two""\nthree"`);
    expect(csv).toContain(`'@SUM(A1),'-5`);
    expect(csv).toContain(`"[{""label"":""cocci"",""probability"":0.8},{""label"":""rods"",""probability"":0.2}]"`);
    expect(csv).toContain(',2025-06-01T00:00:00.000Z,doc,');
  });

  it('records a refusal as an append-only row with its reason and no class', async () => {
    const refusal = { code: 'unfamiliar' as const, reason: 'most of the field (9 of the 12 tiles read) is unlike anything the model was trained on', tiles: { read: 12, unfamiliar: 9 } };
    const refused = await record({ output: { refusal, tree: [{ name: 'cocci' }, { name: 'rods' }] } });
    expect(refused.output).toEqual({ refusal, tree: [{ name: 'cocci' }, { name: 'rods' }] });
    expect(refused.heatmapShown).toBe(false);
    expect((await store.predictions.require(refused.id)).output).toEqual(refused.output);
    await expect(store.db.run("UPDATE predictions SET output = '{}' WHERE id = ?", [refused.id])).rejects.toThrow(/append-only/);
    const row = (await store.predictions.auditCsv()).split('\r\n')[1];
    expect(row).toContain(`,v1,,,,,false,blood,`);
    // refusal, then the (empty) feedback history
    expect(row.endsWith(`,unfamiliar: ${refusal.reason},,,false,,,`)).toBe(true);
  });

  it("records a whole field's answer with its own evidence, not the mixed class's tile-averaged probability", async () => {
    const field = {
      forced: false,
      quality: { ok: true, reasons: [] },
      label: 'polymicrobial',
      morphotypes: [
        { label: 'gpc_clusters', tileCount: 16, confidentTiles: 14 },
        { label: 'gnr', tileCount: 7, confidentTiles: 6 },
      ],
      multiple: true,
      tiles: { total: 48, inferred: 40 },
      legend: [],
      photoPxPerUm: null,
      warnings: [],
      tileMap: false,
    };
    const classes = [
      { label: 'gpc_clusters', probability: 0.6 },
      { label: 'gnr', probability: 0.37 },
      { label: 'polymicrobial', probability: 0.03 },
    ];
    await record({ output: { classes, top: { label: 'polymicrobial', probability: 0.03 }, uncertain: false, field } });
    await record({ output: { classes, top: { label: 'gpc_clusters', probability: 0.6 }, uncertain: false, field: { ...field, label: 'gpc_clusters', multiple: false, morphotypes: field.morphotypes.slice(0, 1) } } });
    const [header, several, single] = parseCsv(await store.predictions.auditCsv()).map((r) => r.fields);
    const column = (row: string[], name: string) => row[header.indexOf(name)];
    expect([column(several, 'top_class'), column(several, 'top_probability'), column(several, 'uncertain')]).toEqual(['polymicrobial', '', 'false']);
    expect(column(several, 'field_evidence')).toBe('gpc_clusters: 14 of 16 tiles confident; gnr: 6 of 7 tiles confident');
    expect([column(single, 'top_class'), column(single, 'top_probability'), column(single, 'field_evidence')]).toEqual(['gpc_clusters', '0.6', 'gpc_clusters: 14 of 16 tiles confident']);
  });

  it('keeps exactly one active model and swaps it atomically', async () => {
    const a = await store.models.register({ path: '/models/a', name: 'gram', version: '1', metrics: { accuracy: 0.9 } });
    const b = await store.models.register({ path: '/models/b', name: 'gram', version: '2' });
    expect(await store.models.active()).toBeNull();
    await expect(store.models.register({ path: '/models/a', name: 'again', version: '3' })).rejects.toThrow(/already registered/);
    await store.models.activate(a.id);
    expect((await store.models.activate(b.id)).active).toBe(true);
    expect((await store.models.list()).map((m) => m.active)).toEqual([false, true]);
    expect((await store.models.get(a.id))?.metrics).toEqual({ accuracy: 0.9 });
    await expect(store.db.run('UPDATE models SET active = 1')).rejects.toThrow(/unique/i);
    await expect(store.models.activate(999)).rejects.toThrow(/no model/);
    expect((await store.models.active())?.id).toBe(b.id);
  });

  it('moves training runs only along allowed transitions', async () => {
    const project = await store.projects.create({ name: 'p', classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 1, createdBy: userId });
    const run = await store.runs.create(project.id, userId);
    expect(run).toMatchObject({ status: 'queued', runner: null });
    expect(await store.runs.setProgress(run.id, { epoch: 1 }, 'server a pid 1')).toBe(false);
    expect(await store.runs.markRunning(run.id, 'server a pid 1')).toBe(true);
    expect(await store.runs.markRunning(run.id, 'server b pid 2')).toBe(false);
    expect(await store.runs.setProgress(run.id, { epoch: 1 }, 'server b pid 2')).toBe(false);
    expect(await store.runs.setProgress(run.id, { epoch: 1 }, 'server a pid 1')).toBe(true);
    expect(await store.runs.cancel(run.id)).toBe(true);
    expect(await store.runs.complete(run.id, '/bundle', null, 'server a pid 1')).toBe(false);
    expect(await store.runs.require(run.id)).toMatchObject({ status: 'cancelled', progress: { epoch: 1 }, bundlePath: null, runner: 'server a pid 1' });
  });

  it("lets a runner taking over a run end it, and not the runner it took it from", async () => {
    const project = await store.projects.create({ name: 'q', classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 1, createdBy: userId });
    const run = await store.runs.create(project.id, userId);
    await store.runs.markRunning(run.id, 'worker a pid 1', true);
    await store.runs.setProgress(run.id, { epoch: 7 }, 'worker a pid 1');
    expect(await store.runs.markRunning(run.id, 'worker b pid 2', true)).toBe(true);
    expect(await store.runs.require(run.id)).toMatchObject({ status: 'running', runner: 'worker b pid 2', progress: null });
    expect(await store.runs.setProgress(run.id, { epoch: 8 }, 'worker a pid 1')).toBe(false);
    expect(await store.runs.fail(run.id, 'late', 'worker a pid 1')).toBe(false);
    expect(await store.runs.complete(run.id, '/old', null, 'worker a pid 1')).toBe(false);
    expect(await store.runs.complete(run.id, '/new', null, 'worker b pid 2')).toBe(true);
    expect(await store.runs.complete(run.id, '/new', null, 'worker b pid 2')).toBe(false);
    expect(await store.runs.require(run.id)).toMatchObject({ status: 'completed', bundlePath: '/new', runner: 'worker b pid 2' });

    const handedBack = await store.runs.create(project.id, userId);
    await store.runs.markRunning(handedBack.id, 'worker a pid 1');
    expect(await store.runs.requeue(handedBack.id, 'worker b pid 2')).toBe(false);
    expect(await store.runs.requeue(handedBack.id, 'worker a pid 1')).toBe(true);
    expect(await store.runs.require(handedBack.id)).toMatchObject({ status: 'queued', runner: null, startedAt: null });
    expect(await store.runs.fail(handedBack.id, 'a late error of its old runner', 'worker a pid 1')).toBe(false);
    expect(await store.runs.fail(handedBack.id, 'given up')).toBe(true);
  });

  it('fails at a restart only the running runs the caller judges gone', async () => {
    const project = await store.projects.create({ name: 'r', classTree: [{ name: 'a' }, { name: 'b' }], labelsRequired: 1, createdBy: userId });
    const mine = await store.runs.create(project.id, userId);
    const theirs = await store.runs.create(project.id, userId);
    await store.runs.markRunning(mine.id, 'server here pid 1');
    await store.runs.markRunning(theirs.id, 'server there pid 1');
    expect(await store.runs.failInterrupted('restart', (runner) => runner === 'server here pid 1')).toBe(1);
    expect(await store.runs.require(mine.id)).toMatchObject({ status: 'failed', error: 'restart' });
    expect(await store.runs.require(theirs.id)).toMatchObject({ status: 'running', runner: 'server there pid 1' });
    await store.runs.cancel(theirs.id);
  });
});

describeBackends('predictions and verdicts made on a device', (backend) => {
  let dir: ReturnType<typeof tempDir>;
  let store: Store;
  let userId: number;
  let otherId: number;
  let sha: string;
  const KEY = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';
  const VERDICT_KEY = '7a1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';

  beforeEach(async () => {
    dir = tempDir();
    store = await openStore({ dataDir: dir.path, database: await backend.freshDatabase(), clock: () => Date.UTC(2025, 5, 1, 12) });
    [userId, otherId] = await addUsers(store, ['doc', 'other'], 'clinician');
    sha = (await store.images.ingest(await pngImage(9))).sha256;
  });
  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  const fromDevice = (user = userId, key = KEY) =>
    store.predictions.recordMadeOnDevice({
      userId: user,
      imageSha256: sha,
      modelId: null,
      modelVersion: 'v1',
      output: OUTPUT,
      heatmapPng: null,
      specimenType: 'blood',
      onDevice: { madeAt: Date.UTC(2025, 5, 1, 8), device: 'phone-1', idempotencyKey: key },
    });

  it('records a prediction once per idempotency key, with the device time beside the time it arrived', async () => {
    const first = await fromDevice();
    const again = await fromDevice();
    expect(first.created).toBe(true);
    expect(again).toEqual({ prediction: first.prediction, created: false });
    expect(first.prediction).toMatchObject({ createdAt: Date.UTC(2025, 5, 1, 12), onDevice: { madeAt: Date.UTC(2025, 5, 1, 8), device: 'phone-1', idempotencyKey: KEY } });
    expect(await store.predictions.list()).toHaveLength(1);
    await expect(fromDevice(otherId)).rejects.toThrow(/another user/);
    await expect(fromDevice(userId, 'not-a-uuid')).rejects.toThrow(/UUID/);
  });

  it('records one row when two syncs of one key arrive at once, and answers both with it', async () => {
    const both = await Promise.all([fromDevice(), fromDevice()]);
    expect(both.map((synced) => synced.created).sort()).toEqual([false, true]);
    expect(both[0].prediction).toEqual(both[1].prediction);
    expect(await store.predictions.list()).toHaveLength(1);
  });

  it('adds an offline verdict once per key, and never under another user', async () => {
    const { prediction } = await fromDevice();
    const device = { idempotencyKey: VERDICT_KEY, madeAt: Date.UTC(2025, 5, 1, 9) };
    expect((await store.predictions.addFeedbackFromDevice(prediction.id, userId, 'correct', 'rods', device)).created).toBe(true);
    const again = await store.predictions.addFeedbackFromDevice(prediction.id, userId, 'correct', 'rods', device);
    expect(again.created).toBe(false);
    expect(again.prediction.feedbackHistory).toEqual([{ verdict: 'correct', label: 'rods', userId, username: 'doc', createdAt: Date.UTC(2025, 5, 1, 12), madeAt: Date.UTC(2025, 5, 1, 9) }]);
    await expect(store.predictions.addFeedbackFromDevice(prediction.id, otherId, 'agree', null, device)).rejects.toThrow(/another user/);
  });
});
