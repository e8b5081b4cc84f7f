import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { serializeModelWeights, buildModel } from '../../src/models/index.ts';
import { learningRateAt, resolveTrainConfig, trainClassifier, type TrainCallback, type TrainOptions } from '../../src/train/index.ts';
import { toyImageSet } from './fixtures/toy-data.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// 16 images in batches of 8: two steps per epoch.
const config = { model: 'seed-cnn' as const, width: 2, batchSize: 8, learningRate: 0.01, seed: 3, epochs: 2, patience: 0 };
const train = () => toyImageSet(16, 4, 1);
const validation = () => toyImageSet(8, 4, 2);

async function weightsAfter(options: Partial<TrainOptions> = {}, overrides: Partial<typeof config> = {}) {
  const result = await trainClassifier(train(), validation(), { ...config, ...overrides }, { numClasses: 4, ...options });
  const weights = serializeModelWeights(result.model).data;
  result.model.dispose();
  return { result, weights };
}

describe('training callbacks (TrainOptions.callbacks)', () => {
  it('calls every hook in order, with the state each hook documents', async () => {
    const calls: string[] = [];
    const recorder: TrainCallback = {
      onTrainBegin: (loop) => void calls.push(`train-begin epoch ${loop.state.epoch}`),
      onEpochBegin: (loop) => void calls.push(`epoch-begin ${loop.state.epoch}`),
      onStepBegin: (loop) => void calls.push(`step-begin ${loop.state.epoch}.${loop.state.step}`),
      onStepEnd: (loop, { batchSize }) => void calls.push(`step-end ${loop.state.epoch}.${loop.state.step} (${batchSize} images)`),
      onEpochEnd: (loop, { record }) => void calls.push(`epoch-end ${record.epoch}, now at ${loop.state.epoch}.${loop.state.step}, ${loop.state.history.length} recorded`),
      onTrainEnd: (loop) => void calls.push(`train-end ${loop.status}`),
    };
    await weightsAfter({ callbacks: [recorder] });
    expect(calls).toEqual([
      'train-begin epoch 0',
      'epoch-begin 0',
      'step-begin 0.0',
      'step-end 0.1 (8 images)',
      'step-begin 0.1',
      'step-end 0.2 (8 images)',
      'epoch-end 0, now at 1.0, 1 recorded',
      'epoch-begin 1',
      'step-begin 1.0',
      'step-end 1.1 (8 images)',
      'step-begin 1.1',
      'step-end 1.2 (8 images)',
      'epoch-end 1, now at 2.0, 2 recorded',
      'train-end completed',
    ]);
  });

  it('run after the built-in ones: they see the scheduled learning rate and an observer changes nothing', async () => {
    const seen: number[] = [];
    const observer: TrainCallback = { onStepBegin: (loop) => void seen.push(loop.learningRate) };
    const observed = await weightsAfter({ callbacks: [observer] });
    const resolved = resolveTrainConfig(config);
    expect(seen).toEqual([0, 1, 2, 3].map((step) => learningRateAt(resolved, step, 2, 4)));
    expect(observed.result.history.map((h) => h.learningRate)).toEqual([seen[1], seen[3]]);
    expect(observed.weights).toEqual((await weightsAfter()).weights);
  });

  it('can set the learning rate of a step (a schedule is a callback)', async () => {
    const frozen: TrainCallback = { onStepBegin: (loop) => void (loop.learningRate = 0) };
    const { result, weights } = await weightsAfter({ callbacks: [frozen] });
    expect(result.history.map((h) => h.learningRate)).toEqual([0, 0]);
    const initial = buildModel('seed-cnn', { inputShape: [8, 8, 1], numClasses: 4, width: 2, seed: 3 });
    expect(weights).toEqual(serializeModelWeights(initial).data);
    initial.dispose();
  });

  it('can stop the run after an epoch, which ends with the best weights', async () => {
    const stopAfterFirst: TrainCallback = { onEpochEnd: (loop) => loop.stop('early-stopped') };
    // Epoch 0 is the warm-up, whose learning rates do not depend on the epoch budget.
    const stopped = await weightsAfter({ callbacks: [stopAfterFirst] }, { epochs: 5 });
    expect(stopped.result.status).toBe('early-stopped');
    expect(stopped.result.history).toHaveLength(1);
    expect(stopped.weights).toEqual((await weightsAfter({}, { epochs: 1 })).weights);
  });
});
