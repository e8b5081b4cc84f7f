import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { measureStepThroughput } from '../../bench/lib/index.ts';
import { createParallelStepRunner } from '../../src/train/parallel/index.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('measureStepThroughput', () => {
  it('measures step throughput and the phase times of the parallel runner', async () => {
    const options = { model: 'seed-cnn' as const, width: 2, inputShape: [8, 8, 1] as [number, number, number], numClasses: 4, batch: 8, steps: 3, warmupSteps: 1 };
    const parallel = await measureStepThroughput(createParallelStepRunner({ workers: 2 }), options);
    expect(parallel.imagesPerSecond).toBeGreaterThan(0);
    expect(parallel.stepMs).toBeCloseTo((8 * 1000) / parallel.imagesPerSecond, 6);
    expect(parallel.timings?.steps).toBe(3);
    expect((await measureStepThroughput(null, options)).timings).toBeUndefined();
  });
});
