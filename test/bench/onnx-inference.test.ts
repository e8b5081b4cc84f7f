import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { INFERENCE_ENGINES, measureOnnxInference } from '../../bench/lib/index.ts';

describe('measureOnnxInference', () => {
  it('measures every engine interleaved and restores the TF.js backend', async () => {
    await import('@tensorflow/tfjs-backend-cpu');
    await tf.setBackend('cpu');
    const measurement = await measureOnnxInference({ inputShape: [16, 16, 3], batchSize: 4, rounds: 3, sampleMillis: 5, onnxThreads: 1 });
    expect(measurement.results.map((r) => r.engine)).toEqual(INFERENCE_ENGINES);
    for (const result of measurement.results) {
      expect(result.samples).toHaveLength(3);
      expect(result.imagesPerSecond).toBe([...result.samples].sort((a, b) => a - b)[1]);
      expect(result.imagesPerSecond).toBeGreaterThan(0);
    }
    expect(measurement.wasmThreads).toBeGreaterThanOrEqual(1);
    expect(measurement.onnxSpeedupOverWasm).toBeCloseTo(measurement.results[0].imagesPerSecond / measurement.results[1].imagesPerSecond);
    expect(tf.getBackend()).toBe('cpu');
  });
});
