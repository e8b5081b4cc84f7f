import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { measureTrainThroughput, profileKernels } from '../../bench/lib/index.ts';
import { initEngine } from '../../src/engine/index.ts';
import { seedCnn } from '../../src/models/index.ts';

describe('measureTrainThroughput and profileKernels', () => {
  it('measures training throughput and names the kernels that took the time', async () => {
    await initEngine({ backend: 'wasm' });
    const factory = () => seedCnn({ inputShape: [8, 8, 3], numClasses: 3, filters: [4, 8] });
    const before = tf.memory().numTensors;
    const { result, kernels } = await profileKernels(() => measureTrainThroughput(factory, { batch: 4, steps: 3, inputShape: [8, 8, 3] }));
    expect(result).toBeGreaterThan(0);
    const names = kernels.map((k) => k.kernelName);
    expect(names).toEqual(expect.arrayContaining(['FusedConv2D', 'Conv2DBackpropFilter', 'MaxPoolGrad']));
    expect(kernels.every((k) => k.calls > 0 && k.totalMs >= 0)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a bad batch size', async () => {
    await expect(measureTrainThroughput(() => seedCnn({ inputShape: [8, 8, 3], numClasses: 3 }), { batch: 0, steps: 1, inputShape: [8, 8, 3] })).rejects.toThrow(
      /batch must be a positive integer, got 0/,
    );
  });
});
