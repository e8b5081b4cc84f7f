import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LabelTreeNode } from '../../src/contract/index.ts';
import { readManifest, type Dataset } from '../../src/data/index.ts';
import { fitClassifier, levelReports, type FitResult } from '../../src/pipeline/index.ts';
import { BAND_CLASSES, writeBandManifest } from './toy-bands.ts';

const CLASSES = BAND_CLASSES;
const TREE: LabelTreeNode[] = [{ name: 'horizontal', children: [{ name: 'bright_top' }, { name: 'bright_bottom' }] }, { name: 'bright_left' }];

/** The bright-band toy set; odd patients of the two horizontal classes are labelled only "horizontal". */
async function writeToyDataset(root: string): Promise<string> {
  return writeBandManifest(root, { seed: 5, labelOf: ({ label, patient }) => (label !== 'bright_left' && patient % 2 === 1 ? 'horizontal' : label) });
}

let dataset: Dataset;
let result: FitResult;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const root = await mkdtemp(join(tmpdir(), 'gl-coarse-'));
  dataset = await readManifest(await writeToyDataset(root), { labelTree: TREE });
  result = await fitClassifier(dataset, {
    size: [16, 16],
    train: { model: 'resnet-small', width: 4, epochs: 6, batchSize: 8, learningRate: 0.01, patience: 0 },
    augment: { flipHorizontal: { p: 0 } },
    fractions: { train: 0.5, val: 0.25, test: 0.25 },
    labelTree: TREE,
    runDir: join(root, 'run'),
    seed: 2,
  });
});

describe('fitClassifier with coarse labels', () => {
  it('trains on them, and evaluates the classes on the class-labelled test images only', () => {
    expect(dataset.coarseLabels).toEqual([{ name: 'horizontal', classes: ['bright_top', 'bright_bottom'] }]);
    expect(result.status).toBe('completed');
    expect(result.counts.train + result.counts.val + result.counts.test).toBe(72);
    const test = result.test!;
    expect(Array.from(test.set.labels).every((label) => label < 3)).toBe(true);
    expect(test.samples.map((s) => s.label)).toEqual(Array.from(test.set.labels, (label) => CLASSES[label]));
    expect(result.report!.sampleCount).toBe(test.set.labels.length);
    expect(result.report!.accuracy.value).toBeGreaterThan(0.8);
    const coarse = test.coarse!;
    expect(coarse.labels.length).toBe(result.counts.test - test.set.labels.length);
    expect(coarse.labels.length).toBeGreaterThan(0);
    expect(coarse.probabilities.length).toBe(coarse.labels.length * 3);
    // The dataset card counts class-labelled images per class.
    expect(result.splits.find((s) => s.name === 'test')!.classCounts.reduce((a, b) => a + b, 0)).toBe(test.set.labels.length);
  });

  it('counts coarse-labelled test images at the tree level where their node is known', () => {
    const test = result.test!;
    const [top] = levelReports(test.set.labels, test.probabilities, CLASSES, TREE, 2, test.groups, test.coarse);
    expect(top.report.classNames).toEqual(['horizontal', 'bright_left']);
    expect(top.report.sampleCount).toBe(result.counts.test);
    expect(top.report.accuracy.value).toBeGreaterThan(0.8);
    const [withoutCoarse] = levelReports(test.set.labels, test.probabilities, CLASSES, TREE, 2, test.groups);
    expect(withoutCoarse.report.sampleCount).toBe(test.set.labels.length);
  });
});
