import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordBudgetChoice } from '../../src/cli/commands/train-budget.ts';
import { runCli } from '../../src/cli/index.ts';
import { readManifest, splitByPatient, type Dataset } from '../../src/data/index.ts';
import { chooseWithinBudget, fitClassifier, formatBudgetChoice, type BudgetCandidate } from '../../src/pipeline/index.ts';
import { writeBandManifest } from './toy-bands.ts';

const CANDIDATES: BudgetCandidate[] = [
  { model: 'seed-cnn', size: 12 },
  { model: 'resnet-small', size: 16 },
];
const TRAIN = { width: 4, batchSize: 8, learningRate: 0.01 };

let root: string;
let manifest: string;
let dataset: Dataset;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'gl-budget-'));
  manifest = await writeBandManifest(root, { seed: 11 });
  dataset = await readManifest(manifest);
});

describe('train --budget', () => {
  it('tries every candidate within the budget on inner patients, records them, and trains the chosen one', async () => {
    const startedAt = performance.now();
    const splits = splitByPatient(dataset.samples, { fractions: { train: 0.6, val: 0.2, test: 0.2 }, seed: 4 });
    const budgetSeconds = 10;
    const choice = await chooseWithinBudget(dataset, [...splits.train, ...splits.val], {
      budgetSeconds,
      startedAt,
      finalTrainImages: splits.train.length,
      seed: 4,
      channels: 3,
      fit: 'cover',
      train: TRAIN,
      candidates: CANDIDATES,
    });
    expect(choice.status).toBe('completed');
    expect(choice.trials.map((trial) => [trial.model, trial.size])).toEqual(CANDIDATES.map((c) => [c.model, c.size]));
    const trainingPatients = new Set([...splits.train, ...splits.val].map((s) => s.patientId)).size;
    expect(choice.inner.train + choice.inner.val).toBe(splits.train.length + splits.val.length);
    expect(trainingPatients).toBeGreaterThan(1);
    for (const trial of choice.trials) {
      expect(trial.macroF1).toBeGreaterThanOrEqual(0);
      expect(trial.secondsPerStep).toBeGreaterThan(0);
      expect(trial.epochs).toBeGreaterThanOrEqual(1);
    }
    expect(choice.chosen.macroF1).toBe(Math.max(...choice.trials.map((trial) => trial.macroF1!)));
    expect(choice.finalEpochs).toBeGreaterThanOrEqual(1);
    expect(formatBudgetChoice(choice)).toContain('chosen');

    const runDir = join(root, 'run');
    const result = await fitClassifier(dataset, {
      size: [choice.chosen.size, choice.chosen.size],
      train: { ...TRAIN, model: choice.chosen.model, epochs: choice.finalEpochs },
      splits,
      runDir,
      seed: 4,
    });
    const totalSeconds = (performance.now() - startedAt) / 1000;
    await recordBudgetChoice(runDir, choice, totalSeconds);
    expect(existsSync(join(result.bundleDir, 'metadata.json'))).toBe(true);
    const record = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8'));
    expect(record.budget.trials).toHaveLength(CANDIDATES.length);
    expect(record.metadata.architecture.name).toBe(choice.chosen.model);
    expect(record.metadata.training.config.epochs).toBe(choice.finalEpochs);
  }, 120_000);

  it('stops when cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      chooseWithinBudget(dataset, dataset.samples, { budgetSeconds: 10, finalTrainImages: 10, seed: 1, channels: 3, fit: 'cover', train: TRAIN, candidates: CANDIDATES, signal: controller.signal }),
    ).rejects.toThrow();
  });

  it('refuses a bad --budget, or one beside the options it chooses, with one line', async () => {
    for (const [args, message] of [
      [['--budget', '10'], '--budget must be a duration such as 90s, 10m or 1h'],
      [['--budget', '0m'], '--budget must be a duration'],
      [['--budget', '10m', '--backbone', 'mobilenetv2'], 'leave out --backbone'],
      [['--budget', '10m', '--folds', '3'], 'leave out --folds'],
    ] as const) {
      const errors: string[] = [];
      const code = await runCli(['train', manifest, '--out', join(root, 'bad'), ...args], { out: () => {}, err: (t) => errors.push(t), signal: new AbortController().signal });
      expect(code).toBe(2);
      expect(errors.join('\n')).toContain(message);
      expect(errors.join('\n')).not.toMatch(/\n\s+at /);
    }
  });
});
