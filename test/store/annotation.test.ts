import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { parseCsv, readManifest } from '../../src/data/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { describeBackends } from './backends.ts';
import { pngImage, tempDir } from './fixtures.ts';
import { addImages, addUsers } from './seed.ts';

const TREE = [
  { name: 'Gram-positive', children: [{ name: 'cocci' }, { name: 'bacilli' }] },
  { name: 'Gram-negative', children: [{ name: 'rods' }] },
];

describeBackends('annotation', (backend) => {
  let database: string | undefined;
  let dir: ReturnType<typeof tempDir>;
  let now: number;
  let store: Store;
  let ann: number[];
  let admin: number;

  beforeEach(async () => {
    dir = tempDir();
    database = await backend.freshDatabase();
    now = 1_000;
    store = await openStore({ dataDir: dir.path, database, clock: () => ++now });
    ann = await addUsers(store, ['ann1', 'ann2', 'ann3']);
    [admin] = await addUsers(store, ['boss'], 'admin');
  });
  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  it('defuses formulas in the manifest for spreadsheets, and leaves the trainer its values', async () => {
    const project = await store.projects.create({ name: 'p', classTree: TREE, labelsRequired: 1, createdBy: admin });
    const hidden = [' =1+1', '\n=1+1', '＝1+1'];
    for (const [i, text] of hidden.entries()) {
      const image = await store.images.ingest(await pngImage(200 + i));
      await store.projects.addImage(project.id, { sha256: image.sha256, patientId: text, specimen: text });
      await store.annotations.label(project.id, image.sha256, ann[0], 'rods');
    }
    const columns = (csv: string) => parseCsv(csv).slice(1).map((r) => [r.fields[2], r.fields[3]]);
    expect(columns((await store.decisions.manifest(project.id, { guardFormulas: true })).csv)).toEqual(hidden.map((text) => [`'${text}`, `'${text}`]));
    expect(columns((await store.decisions.manifest(project.id)).csv)).toEqual(hidden.map((text) => [text, text]));
  });

  it('checks class trees: unique leaves, at least two, no reserved names', async () => {
    const create = (classTree: unknown) => store.projects.create({ name: 'p', classTree, labelsRequired: 1, createdBy: admin });
    const project = await create(TREE);
    expect(project.classes).toEqual(['cocci', 'bacilli', 'rods']);
    expect(project.choices).toEqual(['cocci', 'bacilli', 'rods', 'unclear', 'skip']);
    await expect(create([{ name: 'only' }])).rejects.toThrow(/two classes/);
    await expect(create([{ name: 'a' }, { name: 'g', children: [{ name: 'a' }] }])).rejects.toThrow(/twice/);
    await expect(create([{ name: 'a' }, { name: 'skip' }])).rejects.toThrow(/reserved/);
    await expect(create([{ name: 'a' }, { name: 'b', children: [] }])).rejects.toThrow(/non-empty/);
    await expect(create([{ name: 'a' }, { name: 'b', colour: 'red' }])).rejects.toThrow(/unknown field/);
    await expect(create('not a tree')).rejects.toThrow(/array/);
    await expect(create([{ name: 'a', displayName: 7 }, { name: 'b' }])).rejects.toThrow(/displayName must be a string/);
    const shown = await create([{ name: 'GPC', displayName: 'Gram-positive cocci', children: [{ name: 'staph', displayName: 'Staphylococci' }] }, { name: 'gnr' }]);
    expect(shown.classTree[0]).toEqual({ name: 'GPC', displayName: 'Gram-positive cocci', children: [{ name: 'staph', displayName: 'Staphylococci' }] });
  });

  it('queues unlabelled images in a stable order and hides finished ones', async () => {
    const project = await store.projects.create({ name: 'p', classTree: TREE, labelsRequired: 2, createdBy: admin });
    const [a, b, c] = await addImages(store, project.id, 3);
    expect(await store.annotations.next(project.id, ann[0])).toEqual({ sha256: a, remaining: 3 });
    expect(await store.annotations.next(project.id, ann[0])).toEqual({ sha256: a, remaining: 3 });

    await store.annotations.label(project.id, a, ann[0], 'cocci');
    expect(await store.annotations.next(project.id, ann[0])).toEqual({ sha256: b, remaining: 2 });
    expect(await store.annotations.next(project.id, ann[1])).toEqual({ sha256: a, remaining: 3 });

    await store.annotations.label(project.id, a, ann[1], 'rods');
    // a has the two labels it needs: ann3 is not asked for it
    expect(await store.annotations.next(project.id, ann[2])).toEqual({ sha256: b, remaining: 2 });

    // 'skip' takes the image out of this annotator's queue but does not count as a label
    await store.annotations.label(project.id, b, ann[0], 'skip');
    await store.annotations.label(project.id, b, ann[1], 'bacilli');
    expect(await store.annotations.next(project.id, ann[2])).toEqual({ sha256: b, remaining: 2 });
    await store.annotations.label(project.id, c, ann[0], 'rods');
    await store.annotations.label(project.id, c, ann[1], 'rods');
    expect(await store.annotations.next(project.id, ann[0])).toEqual({ sha256: null, remaining: 0 });
  });

  it('replaces an annotator’s label but keeps the history; undo walks it back', async () => {
    const project = await store.projects.create({ name: 'p', classTree: TREE, labelsRequired: 1, createdBy: admin });
    const [a, b] = await addImages(store, project.id, 2);
    expect(await store.annotations.label(project.id, a, ann[0], 'cocci')).toEqual({ sha256: a, label: 'cocci', previousLabel: null });
    expect(await store.annotations.label(project.id, a, ann[0], 'rods')).toEqual({ sha256: a, label: 'rods', previousLabel: 'cocci' });
    await store.annotations.label(project.id, b, ann[0], 'unclear');
    expect(await store.db.get('SELECT count(*) AS n FROM annotations')).toEqual({ n: 2 });
    expect(await store.db.all('SELECT label FROM annotation_history ORDER BY id')).toEqual([{ label: 'cocci' }, { label: 'rods' }, { label: 'unclear' }]);

    expect(await store.annotations.undoLast(project.id, ann[0])).toEqual({ sha256: b, undoneLabel: 'unclear', restoredLabel: null });
    expect((await store.annotations.next(project.id, ann[0])).sha256).toBe(b);
    expect(await store.annotations.undoLast(project.id, ann[0])).toEqual({ sha256: a, undoneLabel: 'rods', restoredLabel: 'cocci' });
    expect(await store.annotations.ownLabel(project.id, a, ann[0])).toBe('cocci');
    expect(await store.annotations.undoLast(project.id, ann[0])).toEqual({ sha256: a, undoneLabel: 'cocci', restoredLabel: null });
    expect(await store.annotations.undoLast(project.id, ann[0])).toBeNull();
    expect(await store.db.get('SELECT count(*) AS n FROM annotation_history')).toEqual({ n: 3 });
    // another annotator's undo never touches ann1's labels
    await store.annotations.label(project.id, a, ann[0], 'bacilli');
    expect(await store.annotations.undoLast(project.id, ann[1])).toBeNull();
    expect(await store.annotations.ownLabel(project.id, a, ann[0])).toBe('bacilli');
  });

  // "Last" is the label written last: two requests at once (on PostgreSQL, on two connections) have no other order.
  it('keeps both labels when two annotators label the same image at once; the same annotator twice: last wins', async () => {
    const project = await store.projects.create({ name: 'p', classTree: TREE, labelsRequired: 2, createdBy: admin });
    const [a] = await addImages(store, project.id, 1);
    await Promise.all([
      Promise.resolve().then(() => store.annotations.label(project.id, a, ann[0], 'cocci')),
      Promise.resolve().then(() => store.annotations.label(project.id, a, ann[1], 'bacilli')),
      Promise.resolve().then(() => store.annotations.label(project.id, a, ann[2], 'rods')),
      Promise.resolve().then(() => store.annotations.label(project.id, a, ann[2], 'cocci')),
    ]);
    const votes = (await store.annotations.votes(project.id)).map((v) => [v.username, v.label]);
    const written = await store.db.all<{ label: string }>('SELECT label FROM annotation_history WHERE annotator_id = ? ORDER BY id', [ann[2]]);
    expect(written.map((row) => row.label).sort()).toEqual(['cocci', 'rods']);
    expect(votes.sort()).toEqual([
      ['ann1', 'cocci'],
      ['ann2', 'bacilli'],
      ['ann3', written[1].label],
    ]);
  });

  it('refuses labels outside the choices and images outside the project', async () => {
    const project = await store.projects.create({ name: 'p', classTree: TREE, labelsRequired: 1, createdBy: admin });
    const other = await store.projects.create({ name: 'q', classTree: TREE, labelsRequired: 1, createdBy: admin });
    const [a] = await addImages(store, project.id, 1);
    const [b] = await addImages(store, other.id, 1, 50);
    await expect(store.annotations.label(project.id, a, ann[0], 'Gram-positive')).rejects.toThrow(/not a choice/);
    await expect(store.annotations.label(project.id, b, ann[0], 'cocci')).rejects.toThrow(/not part of project/);
    await expect(store.annotations.label(999, a, ann[0], 'cocci')).rejects.toThrow(/no project/);
  });

  it('decides final labels, lists disagreements, takes adjudications and exports the manifest', async () => {
    const project = await store.projects.create({ name: 'p', classTree: TREE, labelsRequired: 2, createdBy: admin });
    const [unanimous, majority, split, waiting, unclear, adjudicated] = await addImages(store, project.id, 6);
    const label = (sha: string, annotator: number, value: string) => store.annotations.label(project.id, sha, ann[annotator], value);
    await label(unanimous, 0, 'cocci');
    await label(unanimous, 1, 'cocci');
    await label(majority, 0, 'rods');
    await label(majority, 1, 'rods');
    await label(majority, 2, 'bacilli');
    await label(split, 0, 'cocci');
    await label(split, 1, 'bacilli');
    await label(waiting, 0, 'cocci');
    await label(waiting, 1, 'skip');
    await label(unclear, 0, 'unclear');
    await label(unclear, 1, 'unclear');
    await label(adjudicated, 0, 'cocci');
    await label(adjudicated, 1, 'rods');

    expect((await store.decisions.disagreements(project.id)).map((d) => d.sha256)).toEqual([majority, split, adjudicated]);
    await expect(store.decisions.adjudicate(project.id, adjudicated, 'Gram-negative', admin)).rejects.toThrow(/not a class/);
    expect(await store.decisions.adjudicate(project.id, adjudicated, 'bacilli', admin)).toMatchObject({ label: 'bacilli', status: 'adjudicated' });

    const statuses = (await store.decisions.forProject(project.id)).map((d) => [d.status, d.label]);
    expect(statuses).toEqual([
      ['unanimous', 'cocci'],
      ['majority', 'rods'],
      ['no-majority', null],
      ['awaiting-labels', null],
      ['unclear', null],
      ['adjudicated', 'bacilli'],
    ]);

    const manifest = await store.decisions.manifest(project.id);
    expect(manifest.included).toBe(3);
    expect(manifest.leftOut).toEqual({ 'awaiting-labels': 1, 'no-majority': 1, unclear: 1 });
    const path = (sha: string) => `images/${sha.slice(0, 2)}/${sha.slice(2)}`;
    expect(manifest.csv).toBe(
      [
        'path,label,patient_id,specimen,annotators,agreement',
        `${path(unanimous)},cocci,patient-0,specimen-0,2,1.000`,
        `${path(majority)},rods,patient-1,specimen-1,3,0.667`,
        `${path(adjudicated)},bacilli,patient-2,specimen-5,2,0.000`,
        '',
      ].join('\r\n'),
    );

    // the trainer's own manifest reader accepts it from the data folder
    const manifestPath = join(dir.path, 'manifest.csv');
    writeFileSync(manifestPath, manifest.csv);
    const dataset = await readManifest(manifestPath);
    expect(dataset.samples.map((s) => [s.label, s.patientId])).toEqual([
      ['cocci', 'patient-0'],
      ['rods', 'patient-1'],
      ['bacilli', 'patient-2'],
    ]);
  });
});
