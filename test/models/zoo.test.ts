import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, FEATURE_LAYER_NAME, stagesForInput } from '../../src/models/index.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('model zoo', () => {
  it('sizes the ResNet so the last feature map is at most 8 pixels', () => {
    expect(stagesForInput(8)).toBe(1);
    expect(stagesForInput(28)).toBe(3); // 28 -> 14 -> 7
    expect(stagesForInput(64)).toBe(4); // 64 -> 32 -> 16 -> 8
    for (const size of [16, 28, 32, 64]) {
      const model = buildModel('resnet-small', { inputShape: [size, size, 3], numClasses: 4 });
      const [, h, w] = model.getLayer(FEATURE_LAYER_NAME).outputShape as number[];
      expect(h).toBeLessThanOrEqual(8);
      expect(w).toBeLessThanOrEqual(8);
      model.dispose();
    }
  });

  it('outputs probabilities that sum to one, for both models', () => {
    for (const name of ['seed-cnn', 'resnet-small'] as const) {
      const model = buildModel(name, { inputShape: [16, 16, 1], numClasses: 3, width: 4 });
      const sums = tf.tidy(() => tf.sum(model.predict(tf.randomUniform([2, 16, 16, 1], 0, 1, "float32", 3)) as tf.Tensor, -1).arraySync() as number[]);
      sums.forEach((s) => expect(s).toBeCloseTo(1, 5));
      model.dispose();
    }
  });

  it('builds identical weights from the same seed and different ones from another', () => {
    const first = (seed: number) => {
      const model = buildModel('seed-cnn', { inputShape: [8, 8, 3], numClasses: 2, seed });
      const values = Array.from(model.getWeights()[0].dataSync().slice(0, 10));
      model.dispose();
      return values;
    };
    expect(first(5)).toEqual(first(5));
    expect(first(5)).not.toEqual(first(6));
  });

  it('rejects a bad spec with a clear message', () => {
    expect(() => buildModel('resnet-small', { inputShape: [16, 16, 3], numClasses: 1 })).toThrow(/at least 2 classes/);
    expect(() => buildModel('vgg' as never, { inputShape: [16, 16, 3], numClasses: 2 })).toThrow(/unknown model "vgg"/);
    expect(() => buildModel('seed-cnn', { inputShape: [0, 16, 3], numClasses: 2 })).toThrow(/input shape/);
  });
});
