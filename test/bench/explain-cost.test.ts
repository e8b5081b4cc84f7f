import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { measureExplainCost } from '../../bench/lib/index.ts';
import { buildModel } from '../../src/models/index.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('measureExplainCost', () => {
  it('times prediction, the gradient CAM and (for GAP heads) the fast CAM', () => {
    const resnet = buildModel('resnet-small', { inputShape: [16, 16, 3], numClasses: 2, width: 4 });
    const cost = measureExplainCost(resnet, { repeats: 1, warmup: 0 });
    expect(cost.backend).toBe('cpu');
    expect(cost.predictMs).toBeGreaterThan(0);
    expect(cost.gradientRatio).toBeCloseTo(cost.gradientCamMs / cost.predictMs, 10);
    expect(cost.fastRatio).not.toBeNull();
    const seedCnn = buildModel('seed-cnn', { inputShape: [16, 16, 3], numClasses: 2, width: 2 });
    expect(measureExplainCost(seedCnn, { repeats: 1, warmup: 0 }).fastCamMs).toBeNull();
  });
});
