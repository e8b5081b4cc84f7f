import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LabelTreeNode } from '../../src/contract/index.ts';
import { classWeights, epochIndices, labelIndices, labelNames, parseLabelTree, readFolderDataset, readManifest, splitByPatient } from '../../src/data/index.ts';
import { labelVocabulary } from '../../src/data/labels.ts';
import { createRng } from '../../src/util/index.ts';
import { makeTempDir, writeSolidPng } from './fixtures.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await makeTempDir()));
afterEach(() => cleanup());

/** Gram group → morphotype, as in the synthetic data: GPR covers one class only. */
const TREE: LabelTreeNode[] = [
  { name: 'GPC', children: [{ name: 'gpc_clusters' }, { name: 'gpc_chains' }] },
  { name: 'GPR', children: [{ name: 'gpr' }] },
  { name: 'GN', children: [{ name: 'gnr' }, { name: 'gnc' }] },
  { name: 'yeast' },
];

describe('labelVocabulary', () => {
  it('lists the leaves in tree order, the nodes over several classes, and single-class nodes as aliases', () => {
    const vocabulary = labelVocabulary(TREE);
    expect(vocabulary.classes).toEqual(['gpc_clusters', 'gpc_chains', 'gpr', 'gnr', 'gnc', 'yeast']);
    expect(vocabulary.coarse).toEqual([
      { name: 'GPC', classes: ['gpc_clusters', 'gpc_chains'] },
      { name: 'GN', classes: ['gnr', 'gnc'] },
    ]);
    expect([...vocabulary.aliases]).toEqual([['GPR', 'gpr']]);
  });

  it('refuses a name used for two different nodes, a repeated class and a tree of one class', () => {
    expect(() => labelVocabulary([{ name: 'A', children: [{ name: 'x' }, { name: 'y' }] }, { name: 'A', children: [{ name: 'z' }] }])).toThrow('label tree: "A" names two different nodes');
    expect(() => labelVocabulary([{ name: 'x' }, { name: 'G', children: [{ name: 'x' }] }])).toThrow('label tree: class "x" appears twice');
    expect(() => labelVocabulary([{ name: 'G', children: [{ name: 'x' }] }])).toThrow('at least 2 classes');
  });
});

describe('parseLabelTree', () => {
  it('accepts a node array or a bundle metadata object, and names what is wrong', () => {
    expect(parseLabelTree(TREE, 'tree.json')).toBe(TREE);
    expect(parseLabelTree({ classes: ['x'], labelTree: TREE }, 'metadata.json')).toBe(TREE);
    expect(() => parseLabelTree({ classes: [] }, 't.json')).toThrow('label tree t.json: expected a non-empty array');
    expect(() => parseLabelTree([{ name: 'G', children: [{ label: 'x' }] }], 't.json')).toThrow('label tree t.json: node 0 > G[0] must be an object with a non-empty "name"');
    expect(() => parseLabelTree([{ name: 'G', children: 'x' }], 't.json')).toThrow('"children" of "G" must be an array');
  });
});

describe('reading datasets with a label tree', () => {
  async function manifest(rows: string[][]): Promise<string> {
    for (const [file] of rows) await writeSolidPng(path.join(dir, file));
    const csv = path.join(dir, 'manifest.csv');
    await writeFile(csv, ['path,label,patient_id', ...rows.map((row) => row.join(','))].join('\n'));
    return csv;
  }

  it('takes a node name as a coarse label, resolves a single-class node to its class, and indexes coarse labels after the classes', async () => {
    const csv = await manifest([
      ['a.png', 'gpc_chains', 'p1'],
      ['b.png', 'GN', 'p2'],
      ['c.png', 'GPR', 'p3'],
      ['d.png', 'GPC', 'p4'],
      ['e.png', 'yeast', 'p5'],
    ]);
    const dataset = await readManifest(csv, { labelTree: TREE });
    expect(dataset.classes).toEqual(['gpc_clusters', 'gpc_chains', 'gpr', 'gnr', 'gnc', 'yeast']);
    expect(dataset.samples.map((s) => s.label)).toEqual(['gpc_chains', 'GN', 'gpr', 'GPC', 'yeast']);
    // Only the nodes used, in tree order.
    expect(dataset.coarseLabels).toEqual([
      { name: 'GPC', classes: ['gpc_clusters', 'gpc_chains'] },
      { name: 'GN', classes: ['gnr', 'gnc'] },
    ]);
    expect(labelNames(dataset)).toEqual([...dataset.classes, 'GPC', 'GN']);
    expect(Array.from(labelIndices(dataset))).toEqual([1, 7, 2, 6, 5]);
  });

  it('has no coarse labels when every label is a class, and still refuses an unknown label, listing classes and nodes', async () => {
    const csv = await manifest([
      ['a.png', 'gpr', 'p1'],
      ['b.png', 'gnc', 'p2'],
    ]);
    expect((await readManifest(csv, { labelTree: TREE })).coarseLabels).toBeUndefined();
    await writeFile(csv, 'path,label,patient_id\na.png,gpr,p1\nb.png,Gram-positive,p2\n');
    await expect(readManifest(csv, { labelTree: TREE })).rejects.toThrow(
      'Manifest manifest.csv line 3: unknown label "Gram-positive" (classes: gpc_clusters, gpc_chains, gpr, gnr, gnc, yeast; tree nodes: GPC, GN, GPR)',
    );
    await expect(readManifest(csv, { labelTree: TREE, classes: ['gpr', 'gnc'] })).rejects.toThrow('are not the leaves of the label tree');
  });

  it('reads a folder named after a node as coarsely labelled images', async () => {
    await writeSolidPng(path.join(dir, 'gpc_chains', 'a.png'));
    await writeSolidPng(path.join(dir, 'GPC', 'b.png'));
    await writeSolidPng(path.join(dir, 'yeast', 'c.png'));
    const dataset = await readFolderDataset(dir, { labelTree: TREE });
    expect(dataset.classes).toEqual(['gpc_clusters', 'gpc_chains', 'gpr', 'gnr', 'gnc', 'yeast']);
    expect(dataset.coarseLabels).toEqual([{ name: 'GPC', classes: ['gpc_clusters', 'gpc_chains'] }]);
    expect(Array.from(labelIndices(dataset))).toEqual([6, 1, 5]);
    await writeSolidPng(path.join(dir, 'bacteria', 'd.png'));
    await expect(readFolderDataset(dir, { labelTree: TREE })).rejects.toThrow(`Folder "bacteria" in ${dir} is not a class or node of the label tree (classes: gpc_clusters`);
  });
});

describe('splits, sampling and class weights with coarse labels', () => {
  it('split by patient and stratify by the label as given', () => {
    const samples = Array.from({ length: 60 }, (_, i) => ({ label: ['gpc_chains', 'GPC', 'gnr'][i % 3], patientId: `P${i}` }));
    const split = splitByPatient(samples, { fractions: { train: 0.6, val: 0.2, test: 0.2 }, seed: 1 });
    for (const part of [split.train, split.val, split.test]) expect(new Set(part.map((s) => s.label))).toEqual(new Set(['gpc_chains', 'GPC', 'gnr']));
  });

  it('sample coarse labels as strata of their own', () => {
    const labels = Int32Array.from([0, 0, 0, 0, 1, 2, 2]);
    const order = epochIndices('oversample', labels, createRng(1));
    expect([0, 1, 2].map((label) => order.filter((i) => labels[i] === label).length)).toEqual([4, 4, 4]);
  });

  it('spread a coarse label over its classes by their counts and weigh it by the mean of their weights', () => {
    // 3 classes, coarse label 3 = {0, 1}: counts 3, 1, 2 and two coarse samples.
    const labels = [0, 0, 0, 1, 2, 2, 3, 3];
    const weights = Array.from(classWeights(labels, 3, [[0, 1]]));
    // The coarse samples count as 1.5 of class 0 and 0.5 of class 1.
    const effective = [4.5, 1.5, 2];
    const expected = effective.map((count) => 8 / (3 * count));
    expected.push((4.5 * expected[0] + 1.5 * expected[1]) / 6);
    expect(weights).toEqual(expected.map(Math.fround));
    // Every sample's weight sums to n, each class's share n / k.
    expect(labels.reduce((sum, label) => sum + weights[label], 0)).toBeCloseTo(8, 5);
    // Without coarse labels the weights are the balanced ones, bit for bit.
    expect(Array.from(classWeights([0, 0, 0, 1, 2, 2], 3))).toEqual([6 / 9, 6 / 3, 6 / 6].map(Math.fround));
    // A coarse label whose classes have no class-labelled sample spreads evenly.
    expect(Array.from(classWeights([0, 3, 3], 3, [[1, 2]]))).toEqual([1, 1, 1, 1]);
  });
});
