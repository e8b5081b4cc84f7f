import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  activationsAndGradients,
  explain,
  explainBatch,
  gradCamPlusPlusWeights,
  gradCamWeights,
  hiResCamMap,
  resolveTargetLayer,
  weightedActivationMap,
} from '../../src/explain/index.ts';
import { buildModel } from '../../src/models/index.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function expectClose(actual: ArrayLike<number>, expected: readonly number[], digits = 6): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((v, i) => expect(actual[i]).toBeCloseTo(v, digits));
}

/**
 * 4×4×1 → conv 1×1 'features' (A1 = x, A2 = 1 − x) → GAP → dense W = [[2, −1], [1, 1]] → softmax.
 * logit_c = Σ_k W[k, c] · mean(A_k), so dY_c/dA_k = W[k, c] / 16 at every pixel.
 */
function gapModel(): tfl.LayersModel {
  const model = tfl.sequential({ name: 'tiny-gap' });
  model.add(tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 1, name: 'features' }));
  model.add(tfl.layers.globalAveragePooling2d({ name: 'gap' }));
  model.add(tfl.layers.dense({ units: 2, name: 'logits' }));
  model.add(tfl.layers.activation({ activation: 'softmax', name: 'probabilities' }));
  model.setWeights([
    tf.tensor4d([1, -1], [1, 1, 1, 2]),
    tf.tensor1d([0, 1]),
    tf.tensor2d([2, -1, 1, 1], [2, 2]),
    tf.tensor1d([0, 0]),
  ]);
  return model;
}
// mean(x) = 0.5, so logits = [2·0.5 + 0.5, −0.5 + 0.5] = [1.5, 0].
const GAP_INPUT = new Float32Array([1, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 3, 0, 0, 0, 1]);

/**
 * 2×2×1 → conv 1×1 'features' (A = x) → flatten → dense with column 0 = [1, −1, 2, 0], column 1 = 0.
 * dY_0/dA is [1, −1, 2, 0] per pixel: the spatially varying gradient where HiRes-CAM and Grad-CAM differ.
 */
function flattenModel(): tfl.LayersModel {
  const model = tfl.sequential({ name: 'tiny-flatten' });
  model.add(tfl.layers.conv2d({ inputShape: [2, 2, 1], filters: 1, kernelSize: 1, name: 'features' }));
  model.add(tfl.layers.flatten({ name: 'flatten' }));
  model.add(tfl.layers.dense({ units: 2, name: 'logits' }));
  model.add(tfl.layers.activation({ activation: 'softmax', name: 'probabilities' }));
  model.setWeights([tf.tensor4d([1], [1, 1, 1, 1]), tf.tensor1d([0]), tf.tensor2d([1, 0, -1, 0, 2, 0, 0, 0], [4, 2]), tf.tensor1d([0, 0])]);
  return model;
}
const FLATTEN_INPUT = new Float32Array([1, 2, 3, 4]);

describe('CAM maps of hand-built models, known analytically', () => {
  it('Grad-CAM and HiRes-CAM of the GAP model: ReLU(Σ_k W[k, c]/16 · A_k)', () => {
    const model = gapModel();
    const predicted = explain(model, GAP_INPUT, { method: 'gradcam' });
    expect(predicted.targetClass).toBe(0);
    expect(predicted.score).toBeCloseTo(1.5, 6);
    expectClose(predicted.probabilities, [Math.exp(1.5) / (Math.exp(1.5) + 1), 1 / (Math.exp(1.5) + 1)]);
    expect([predicted.height, predicted.width]).toEqual([4, 4]);
    // class 0: (2x + (1 − x)) / 16 = (x + 1) / 16
    const class0 = Array.from(GAP_INPUT, (x) => (x + 1) / 16);
    expectClose(predicted.map, class0);
    expectClose(explain(model, GAP_INPUT, { method: 'hirescam' }).map, class0);
    // class 1: ReLU(−x + (1 − x)) / 16, zero wherever x ≥ 1
    const class1 = Array.from(GAP_INPUT, (x) => Math.max(0, 1 - 2 * x) / 16);
    const explained1 = explain(model, GAP_INPUT, { method: 'gradcam', targetClass: 1 });
    expect(explained1.score).toBeCloseTo(0, 6);
    expectClose(explained1.map, class1);
    expectClose(explain(model, GAP_INPUT, { method: 'hirescam', targetClass: 1 }).map, class1);
  });

  it('Grad-CAM++ of the GAP model: alpha_k = 1 / (2 + Σ A_k · g_k)', () => {
    // g = [2/16, 1/16], Σ A = [8, 8]: alpha = [1/3, 2/5], w = 16 · alpha · g = [2/3, 2/5],
    // map = 2/3 · x + 2/5 · (1 − x).
    const explained = explain(gapModel(), GAP_INPUT, { method: 'gradcam++' });
    expectClose(explained.map, Array.from(GAP_INPUT, (x) => (2 / 3) * x + 0.4 * (1 - x)), 4);
  });

  it('a spatially varying gradient separates Grad-CAM, HiRes-CAM and Grad-CAM++', () => {
    const model = flattenModel();
    const gradcam = explain(model, FLATTEN_INPUT, { method: 'gradcam' });
    expect(gradcam.targetClass).toBe(0);
    expect(gradcam.score).toBeCloseTo(1 - 2 + 6, 6);
    expectClose(gradcam.map, [0.5, 1, 1.5, 2]); // w = mean(1, −1, 2, 0) = 0.5
    expectClose(explain(model, FLATTEN_INPUT, { method: 'hirescam' }).map, [1, 0, 6, 0]); // ReLU(g ⊙ x)
    // Σ A = 10; alpha = g² / (2g² + 10 g³): 1/12 at g = 1, 1/22 at g = 2; w = 1/12 + 2/22 = 23/132
    expectClose(explain(model, FLATTEN_INPUT, { method: 'gradcam++' }).map, Array.from(FLATTEN_INPUT, (x) => (23 / 132) * x), 5);
  });
});

describe('CAM weight functions', () => {
  const maps = (data: number[], channels: number) => ({ data: new Float32Array(data), height: 1, width: data.length / channels, channels });

  it('Grad-CAM weights are per-channel gradient means', () => {
    expectClose(gradCamWeights(maps([1, 10, 3, 20], 2)), [2, 15]);
  });

  it('weightedActivationMap applies ReLU to Σ_k w_k A_k', () => {
    expectClose(weightedActivationMap(maps([1, 2, 3, 1], 2), new Float32Array([1, -1])), [0, 2]);
  });

  it('Grad-CAM++ ignores non-positive gradients', () => {
    expectClose(gradCamPlusPlusWeights(maps([1, 1], 1), maps([-3, 0], 1)), [0]);
  });

  it('HiRes-CAM multiplies per pixel before summing channels', () => {
    expectClose(hiResCamMap(maps([1, 2, 3, 4], 2), maps([1, 1, -1, 0], 2)), [3, 0]);
  });

  it('rejects activations and gradients of different shapes', () => {
    expect(() => hiResCamMap(maps([1, 2], 2), maps([1, 2], 1))).toThrow(/differ in shape/);
  });
});

describe('the gradient core on real graphs', () => {
  it('matches predict() and the analytic gradient at a layer inside a residual block', () => {
    // input → 'a' → 'b' → add(b, a) → GAP → dense: the shortcut bypasses 'b', the head is linear,
    // so dY_c/dB = W[k, c] / (H·W) everywhere.
    const input = tfl.input({ shape: [4, 4, 2] });
    const a = tfl.layers.conv2d({ filters: 3, kernelSize: 1, name: 'a', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tfl.SymbolicTensor;
    const b = tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'b', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }).apply(a) as tfl.SymbolicTensor;
    const sum = tfl.layers.add({ name: 'sum' }).apply([b, a]) as tfl.SymbolicTensor;
    const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(sum) as tfl.SymbolicTensor;
    const logits = tfl.layers.dense({ units: 2, name: 'logits', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }).apply(pooled) as tfl.SymbolicTensor;
    const output = tfl.layers.activation({ activation: 'softmax', name: 'probabilities' }).apply(logits) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: output });

    const images = tf.randomNormal([2, 4, 4, 2], 0, 1, 'float32', 7) as tf.Tensor4D;
    const pass = activationsAndGradients(model, images, resolveTargetLayer(model, 'b').output, [null, 1]);
    const expected = (model.predict(images) as tf.Tensor).arraySync() as number[][];
    pass.probabilities.forEach((row, i) => expectClose(row, expected[i]));
    expect(pass.targetClasses[1]).toBe(1);
    const kernel = model.getLayer('logits').getWeights()[0].arraySync() as number[][];
    pass.gradients.forEach((gradients, i) => {
      const c = pass.targetClasses[i];
      expectClose(gradients.data, Array.from(gradients.data, (_, j) => kernel[j % 3][c] / 16));
    });
    images.dispose();
  });

  it('explains any 4-D layer of resnet-small, keeping its probabilities', () => {
    const model = buildModel('resnet-small', { inputShape: [16, 16, 3], numClasses: 3, width: 4, seed: 5 });
    const image = tf.randomNormal([16, 16, 3], 0, 1, 'float32', 3);
    const expected = (model.predict(tf.expandDims(image, 0)) as tf.Tensor).dataSync();
    for (const layer of ['stem_relu', 'stage2_a_conv', 'stage2_add', 'features']) {
      const explained = explain(model, image, { method: 'gradcam', layer });
      expect(explained.layer).toBe(layer);
      expectClose(explained.probabilities, Array.from(expected), 5);
      expect(explained.map.every((v) => v >= 0 && Number.isFinite(v))).toBe(true);
    }
    expect(explain(model, image, { method: 'gradcam' }).layer).toBe('features');
  });

  it('explains a batch image by image, with one class each or per image', () => {
    const model = buildModel('seed-cnn', { inputShape: [16, 16, 3], numClasses: 3, width: 4, seed: 2 });
    const images = [0, 1].map((seed) => tf.randomNormal([16, 16, 3], 0, 1, 'float32', seed).dataSync() as Float32Array);
    const names = ['cocci', 'bacilli', 'yeast'];
    const batch = explainBatch(model, images, { method: 'hirescam', targetClass: ['yeast', 0], classNames: names });
    expect(batch.map((e) => [e.targetClass, e.className])).toEqual([[2, 'yeast'], [0, 'cocci']]);
    batch.forEach((explained, i) => {
      const single = explain(model, images[i], { method: 'hirescam', targetClass: explained.targetClass });
      expectClose(explained.map, Array.from(single.map), 5);
      expect(explained.score).toBeCloseTo(single.score, 5);
    });
    expect(explainBatch(model, images, { method: 'gradcam', targetClass: 1 }).map((e) => e.targetClass)).toEqual([1, 1]);
  });
});

describe('bad input', () => {
  const model = buildModel('seed-cnn', { inputShape: [8, 8, 1], numClasses: 2, width: 2, seed: 1 });
  const image = new Float32Array(64);

  it('lists the valid layers for an unknown or unsuitable layer', () => {
    expect(() => explain(model, image, { method: 'gradcam', layer: 'conv9' })).toThrow(
      'layer "conv9" does not exist in model "seed-cnn"; choose one of: conv1, pool1, conv2, pool2, features, pool3',
    );
    expect(() => explain(model, image, { method: 'gradcam', layer: 'logits' })).toThrow(/is not a 4-D feature map.*choose one of: conv1/);
  });

  it('lists the valid classes for an unknown class', () => {
    const classNames = ['gram-positive cocci', 'gram-negative rods'];
    expect(() => explain(model, image, { method: 'gradcam', targetClass: 'yeast', classNames })).toThrow(
      'unknown class "yeast"; valid classes: 0 (gram-positive cocci), 1 (gram-negative rods)',
    );
    expect(() => explain(model, image, { method: 'gradcam', targetClass: 2 })).toThrow('class index 2 is out of range; valid classes: 0..1');
    expect(() => explain(model, image, { method: 'gradcam', targetClass: 'yeast' })).toThrow(/no class names were supplied/);
    expect(() => explain(model, image, { method: 'gradcam', classNames: ['a'] })).toThrow('got 1 class names for a model with 2 classes');
  });

  it('rejects unknown methods, wrong image sizes and batches given to explain()', () => {
    expect(() => explain(model, image, { method: 'lime' as never })).toThrow(/unknown method "lime"; choose one of: gradcam, gradcam\+\+, hirescam/);
    expect(() => explain(model, new Float32Array(10), { method: 'gradcam' })).toThrow(/has 10 values, expected \[8, 8, 1\] = 64/);
    const batch = tf.zeros([2, 8, 8, 1]);
    expect(() => explain(model, batch, { method: 'gradcam' })).toThrow(/use explainBatch/);
    batch.dispose();
  });

  it('needs a logits layer', () => {
    const plain = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 1, kernelSize: 1 }), tfl.layers.flatten(), tfl.layers.dense({ units: 2 })] });
    expect(() => explain(plain, new Float32Array(16), { method: 'gradcam' })).toThrow(/no single-output layer named "logits"/);
  });
});

describe('tensor hygiene', () => {
  it('explain leaves no tensors behind, also when it throws', () => {
    const model = buildModel('resnet-small', { inputShape: [16, 16, 3], numClasses: 2, width: 4, seed: 1 });
    const image = tf.randomNormal([16, 16, 3], 0, 1, 'float32', 1);
    const before = tf.memory().numTensors;
    for (const method of ['gradcam', 'gradcam++', 'hirescam'] as const) explain(model, image, { method });
    explain(model, image.dataSync() as Float32Array, { method: 'gradcam', layer: 'stage1_add' });
    const pair = tf.stack([image, image]);
    explainBatch(model, pair, { method: 'gradcam' }).forEach((e) => expect(e.map.length).toBe(e.height * e.width));
    pair.dispose();
    const wrongSize = tf.zeros([15, 16, 3]);
    expect(() => explain(model, wrongSize, { method: 'gradcam' })).toThrow(/expected images of shape/);
    wrongSize.dispose();
    expect(tf.memory().numTensors).toBe(before);
    image.dispose();
  });
});
