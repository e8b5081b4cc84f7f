import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { learningRateAt, loadCheckpoint, resolveTrainConfig, trainClassifier, type TrainProgress } from '../../src/train/index.ts';
import { toyImageSet } from './fixtures/toy-data.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tiny = { model: 'seed-cnn' as const, width: 2, batchSize: 8, learningRate: 0.01, seed: 3 };

describe('train config', () => {
  it('fills defaults and names the bad field', () => {
    expect(resolveTrainConfig({ epochs: 3 }).epochs).toBe(3);
    expect(() => resolveTrainConfig({ epochs: 0 })).toThrow(/epochs must be an integer ≥ 1/);
    expect(() => resolveTrainConfig({ optimizer: 'rmsprop' as never })).toThrow(/optimizer must be one of adam, sgd/);
    expect(() => resolveTrainConfig({ learningRate: -1 })).toThrow(/learningRate/);
  });
});

describe('learning-rate schedule', () => {
  const config = { learningRate: 1, warmupEpochs: 1, schedule: 'cosine' as const };
  it('warms up linearly then decays by cosine to 1% of the base rate', () => {
    expect(learningRateAt(config, 0, 10, 100)).toBeCloseTo(0.1);
    expect(learningRateAt(config, 9, 10, 100)).toBeCloseTo(1);
    expect(learningRateAt(config, 10, 10, 100)).toBeCloseTo(1);
    expect(learningRateAt(config, 55, 10, 100)).toBeCloseTo(0.01 + 0.99 * 0.5, 5);
    expect(learningRateAt(config, 100, 10, 100)).toBeCloseTo(0.01);
  });
  it('steps down by ten at half and three quarters', () => {
    const step = { learningRate: 1, warmupEpochs: 0, schedule: 'step' as const };
    expect(learningRateAt(step, 10, 10, 100)).toBe(1);
    expect(learningRateAt(step, 60, 10, 100)).toBeCloseTo(0.1);
    expect(learningRateAt(step, 80, 10, 100)).toBeCloseTo(0.01);
  });
});

describe('trainClassifier', () => {
  it('learns a separable toy task and keeps the best epoch', async () => {
    const result = await trainClassifier(toyImageSet(96, 4, 1), toyImageSet(48, 4, 2), { ...tiny, epochs: 6, patience: 0 }, { numClasses: 4 });
    expect(result.status).toBe('completed');
    expect(result.history).toHaveLength(6);
    const best = result.history[result.bestEpoch];
    expect(best.valAccuracy).toBeGreaterThan(0.9);
    expect(Math.min(...result.history.map((h) => h.valLoss))).toBe(best.valLoss);
  });

  it('stops early when validation stops improving', async () => {
    const result = await trainClassifier(toyImageSet(64, 4, 1), toyImageSet(32, 4, 2), { ...tiny, epochs: 30, patience: 2, learningRate: 1e-7, monitor: 'val_accuracy' }, { numClasses: 4 });
    expect(result.status).toBe('early-stopped');
    expect(result.history.length).toBeLessThan(30);
  });

  it('cancels on abort, saving a checkpoint to resume from', async () => {
    const runDir = await mkdtemp(join(tmpdir(), 'gl-cancel-'));
    const controller = new AbortController();
    const events: TrainProgress[] = [];
    const result = await trainClassifier(toyImageSet(64, 4, 1), toyImageSet(16, 4, 2), { ...tiny, epochs: 5, checkpointEverySteps: 100 }, {
      numClasses: 4,
      runDir,
      signal: controller.signal,
      onProgress: (event) => {
        events.push(event);
        if (event.kind === 'step' && event.epoch === 1 && event.step === 3) controller.abort();
      },
    });
    expect(result.status).toBe('cancelled');
    const checkpoint = await loadCheckpoint(runDir);
    expect(checkpoint?.state).toMatchObject({ epoch: 1, step: 3 });
    const step = events.find((e) => e.kind === 'step');
    expect(step).toMatchObject({ kind: 'step', stepsPerEpoch: 8 });
  });

  it('reports steps, epochs and checkpoints in order', async () => {
    const runDir = await mkdtemp(join(tmpdir(), 'gl-events-'));
    const events: string[] = [];
    // 16 images in batches of 8: two steps per epoch; a checkpoint every step within an epoch and at its end.
    await trainClassifier(toyImageSet(16, 4, 1), toyImageSet(8, 4, 2), { ...tiny, epochs: 2, patience: 0, checkpointEverySteps: 1 }, {
      numClasses: 4,
      runDir,
      onProgress: (event) => {
        if (event.kind === 'step') events.push(`step ${event.epoch}.${event.step}/${event.stepsPerEpoch} of ${event.epochs}`);
        else if (event.kind === 'epoch') events.push(`epoch ${event.record.epoch}${event.improved ? ' improved' : ''} of ${event.epochs}`);
        else events.push(`${event.kind} ${event.epoch}.${event.step}`);
      },
    });
    expect(events).toEqual([
      'step 0.1/2 of 2',
      'checkpoint 0.1',
      'step 0.2/2 of 2',
      'epoch 0 improved of 2',
      'checkpoint 1.0',
      'step 1.1/2 of 2',
      'checkpoint 1.1',
      'step 1.2/2 of 2',
      expect.stringMatching(/^epoch 1( improved)? of 2$/),
      'checkpoint 2.0',
    ]);
  });

  it('does not leak tensors across training', async () => {
    const train = toyImageSet(32, 4, 1);
    const val = toyImageSet(8, 4, 2);
    const first = await trainClassifier(train, val, { ...tiny, epochs: 1, sampling: 'class-weights' }, { numClasses: 4, augment: 'microscopy' });
    first.model.dispose();
    const before = tf.memory().numTensors;
    const second = await trainClassifier(train, val, { ...tiny, epochs: 3, sampling: 'class-weights' }, { numClasses: 4, augment: 'microscopy' });
    second.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects mismatched inputs with a clear message', async () => {
    const train = toyImageSet(16, 4, 1);
    await expect(trainClassifier(train, toyImageSet(8, 4, 2, 4), tiny, { numClasses: 4 })).rejects.toThrow(/validation images are 4×4×1 but training images are 8×8×1/);
    await expect(trainClassifier(train, toyImageSet(8, 4, 2), tiny, { numClasses: 3 })).rejects.toThrow(/label 3, outside 0..2/);
  });
});
