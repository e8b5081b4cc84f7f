import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { serializeModelWeights } from '../../src/models/index.ts';
import { epochsForDataset, firstAveragedEpoch, resolveTrainConfig, trainClassifier, type TrainCallback, type TrainConfig, type TrainOptions } from '../../src/train/index.ts';
import { toyImageSet } from './fixtures/toy-data.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('training length from the dataset size', () => {
  it('takes the least epochs or the epochs that make the least steps, whichever is more', () => {
    expect(epochsForDataset(20, 240, 6)).toBe(40);
    expect(epochsForDataset(20, 240, 7)).toBe(35);
    expect(epochsForDataset(20, 240, 147)).toBe(20);
    expect(epochsForDataset(20, 240, 0)).toBe(240);
  });

  it('applies only when epochs are not given, with the model recipe\'s least epochs and steps', () => {
    expect(resolveTrainConfig({}, 6).epochs).toBe(40);
    expect(resolveTrainConfig({ epochs: 5 }, 6).epochs).toBe(5);
    expect(resolveTrainConfig({ steps: 60 }, 6).epochs).toBe(20);
    expect(resolveTrainConfig({}).epochs).toBe(20);
    const backbone = resolveTrainConfig({ model: 'mobilenetv2' }, 5);
    expect([backbone.epochs, backbone.steps]).toEqual([30, 150]);
    expect(resolveTrainConfig({ model: 'mobilenetv2' }, 14).epochs).toBe(15);
    expect(resolveTrainConfig({ model: 'mobilenetv2' })).toMatchObject({ layerRateRatio: 100, frozenGroups: 1, freezeEpochs: 1, learningRate: 3e-3 });
    expect(resolveTrainConfig({ model: 'resnet-small' }).frozenGroups).toBe(0);
    expect(() => resolveTrainConfig({ steps: 0 })).toThrow(/steps must be an integer ≥ 1/);
    expect(() => resolveTrainConfig({ finalWeights: 'median' as never })).toThrow(/finalWeights must be one of average, last, best/);
  });

  it('by default neither stops early nor keeps the best validation epoch', () => {
    const config = resolveTrainConfig({});
    expect([config.patience, config.finalWeights]).toEqual([0, 'average']);
  });
});

describe('weight averaging over the last quarter of the schedule', () => {
  it('starts at the last quarter, with at least the last epoch', () => {
    expect(firstAveragedEpoch(40)).toBe(30);
    expect(firstAveragedEpoch(8)).toBe(6);
    expect(firstAveragedEpoch(3)).toBe(2);
    expect(firstAveragedEpoch(1)).toBe(0);
  });

  // 16 images in batches of 8: two steps per epoch; 8 epochs average the weights after epochs 6 and 7.
  const config: Partial<TrainConfig> = { model: 'seed-cnn', width: 2, batchSize: 8, learningRate: 0.05, seed: 3, epochs: 8 };

  async function train(overrides: Partial<TrainConfig>, options: Partial<TrainOptions> = {}) {
    const perEpoch: Float32Array[] = [];
    const recorder: TrainCallback = { onEpochEnd: (loop) => void perEpoch.push(serializeModelWeights(loop.model).data.slice()) };
    const result = await trainClassifier(toyImageSet(16, 4, 1), toyImageSet(8, 4, 2), { ...config, ...overrides }, { numClasses: 4, ...options, callbacks: [recorder, ...(options.callbacks ?? [])] });
    const final = serializeModelWeights(result.model).data;
    result.model.dispose();
    return { result, perEpoch, final };
  }

  it('ends with the mean of the averaged epochs\' weights; "last" with the last epoch\'s', async () => {
    const averaged = await train({ finalWeights: 'average' });
    expect(averaged.perEpoch).toHaveLength(8);
    const [a, b] = averaged.perEpoch.slice(6);
    const mean = a.map((value, i) => (value + b[i]) / 2);
    expect(Math.max(...averaged.final.map((value, i) => Math.abs(value - mean[i])))).toBeLessThan(1e-6);
    expect(Math.max(...a.map((value, i) => Math.abs(value - b[i])))).toBeGreaterThan(1e-4);

    const last = await train({ finalWeights: 'last' });
    expect(last.final).toEqual(last.perEpoch[7]);
    expect(last.perEpoch[7]).toEqual(b);
  });

  it('resumes a cancelled run inside the averaged epochs to the same weights', async () => {
    const straight = await train({});
    const runDir = await mkdtemp(join(tmpdir(), 'gl-average-'));
    const controller = new AbortController();
    const cancelInEpoch7: TrainCallback = { onStepEnd: (loop) => void (loop.state.epoch === 7 && loop.state.step === 1 && controller.abort()) };
    const cancelled = await train({}, { runDir, signal: controller.signal, callbacks: [cancelInEpoch7] });
    expect(cancelled.result.status).toBe('cancelled');
    const resumed = await train({}, { runDir, resume: true });
    expect(resumed.result.status).toBe('completed');
    expect(resumed.final).toEqual(straight.final);
  });
});
