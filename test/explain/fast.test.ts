import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { camFromFeatures, explainBatch, gapDenseKernel, hasGapDenseHead } from '../../src/explain/index.ts';
import { buildModel, FEATURE_LAYER_NAME } from '../../src/models/index.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** resnet-small with every weight shifted by seeded noise, so batch norm is no identity and the classes differ. */
function perturbedResnet(): tfl.LayersModel {
  const model = buildModel('resnet-small', { inputShape: [24, 24, 3], numClasses: 4, width: 4, seed: 9 });
  const weights = model.getWeights().map((w, i) => tf.tidy(() => tf.add(w, tf.randomUniform(w.shape, 0, 0.3, 'float32', 100 + i))));
  model.setWeights(weights);
  tf.dispose(weights);
  return model;
}

describe('fast Grad-CAM from forward features (GAP + dense head)', () => {
  it('agrees with the gradient path to 1e-4 on resnet-small, for every class', () => {
    const model = perturbedResnet();
    expect(hasGapDenseHead(model)).toBe(true);
    const kernel = gapDenseKernel(model);
    const images = tf.randomNormal([3, 24, 24, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
    const featureModel = tfl.model({ inputs: model.inputs, outputs: model.getLayer(FEATURE_LAYER_NAME).output });
    const features = featureModel.predict(images) as tf.Tensor4D;
    const [, height, width, channels] = features.shape;
    const perImage = height * width * channels;
    const featureData = features.dataSync() as Float32Array;
    let largest = 0;
    for (let c = 0; c < 4; c++) {
      const explained = explainBatch(model, images, { method: 'gradcam', targetClass: c });
      explained.forEach((gradientCam, i) => {
        const fast = camFromFeatures({ data: featureData.subarray(i * perImage, (i + 1) * perImage), height, width, channels }, kernel, c);
        expect([fast.height, fast.width]).toEqual([gradientCam.height, gradientCam.width]);
        gradientCam.map.forEach((v, j) => {
          expect(Math.abs(fast.map[j] - v)).toBeLessThan(1e-4);
          largest = Math.max(largest, v);
        });
      });
    }
    expect(largest).toBeGreaterThan(1e-2); // the maps are not trivially zero
    tf.dispose([images, features]);
  });

  it('HiRes-CAM equals Grad-CAM when the gradient is constant over pixels (GAP head)', () => {
    const model = perturbedResnet();
    const image = tf.randomNormal([1, 24, 24, 3], 0, 1, 'float32', 4);
    const [gradcam] = explainBatch(model, image, { method: 'gradcam' });
    const [hirescam] = explainBatch(model, image, { method: 'hirescam' });
    hirescam.map.forEach((v, j) => expect(v).toBeCloseTo(gradcam.map[j], 5));
    image.dispose();
  });

  it('refuses other heads and bad arguments clearly', () => {
    const seedCnn = buildModel('seed-cnn', { inputShape: [16, 16, 1], numClasses: 2, width: 2 });
    expect(hasGapDenseHead(seedCnn)).toBe(false);
    expect(() => gapDenseKernel(seedCnn)).toThrow(
      `the fast CAM needs 'features' → global average pooling → linear dense 'logits'; model "seed-cnn" has pool3 → flatten → logits; use explain() instead`,
    );
    const features = { data: new Float32Array(2 * 2 * 3), height: 2, width: 2, channels: 3 };
    expect(() => camFromFeatures(features, new Float32Array(7), 0)).toThrow(/not a multiple of the 3 feature channels/);
    expect(() => camFromFeatures(features, new Float32Array(6), 2)).toThrow('class index 2 is out of range; valid classes: 0..1');
    expect(() => camFromFeatures({ ...features, height: 3 }, new Float32Array(6), 0)).toThrow(/features has 12 values, expected 3 × 2 × 3 = 18/);
  });
});
