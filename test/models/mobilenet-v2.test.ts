import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportToOnnx, OnnxClassifier } from '../../src/engine/onnx/index.ts';
import { buildModel, dequantise, FEATURE_LAYER_NAME, mobileNetV2, mobileNetV2Weights, parameterGroupsOf, PROBABILITIES_LAYER_NAME, registeredModel } from '../../src/models/index.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The output of `layer` for `input`, through a probe model that shares the weights. */
function layerOutput(model: tfl.LayersModel, layer: string, input: tf.Tensor): Float32Array {
  const probe = tfl.model({ inputs: model.inputs, outputs: model.getLayer(layer).output as tfl.SymbolicTensor });
  return tf.tidy(() => (probe.predict(input) as tf.Tensor).dataSync() as Float32Array);
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((max, v, i) => Math.max(max, Math.abs(v - b[i])), 0);
}

describe('the pretrained MobileNetV2 weights', () => {
  it('dequantises uint8 as TF.js does: q · scale + min', () => {
    const entry = { name: 'w', shape: [3], dtype: 'float32' as const, quantization: { dtype: 'uint8' as const, min: -1, scale: 0.5 } };
    expect(Array.from(dequantise(Uint8Array.of(0, 1, 255), entry))).toEqual([-1, -0.5, 126.5]);
    expect(() => dequantise(Uint8Array.of(0), { ...entry, quantization: { dtype: 'float16' } })).toThrow(/not uint8-quantised/);
  });

  it('reads every weight of Keras MobileNetV2 from the npm package', () => {
    const weights = mobileNetV2Weights();
    expect(weights.get('Conv1/kernel')?.shape).toEqual([3, 3, 3, 32]);
    expect(weights.get('block_16_project/kernel')?.shape).toEqual([1, 1, 960, 320]);
    // Moving variances of batch norm are positive.
    expect(weights.get('block_10_project_BN/moving_variance')?.values.every((v) => v > 0)).toBe(true);
  });
});

describe('the mobilenetv2 model', () => {
  const image = tf.randomUniform([1, 224, 224, 3], -1, 1, 'float32', 11);
  afterAll(() => image.dispose());

  it("computes exactly what nsfwjs's own Keras model computes with the same weights (its last feature map, 224 px)", async () => {
    const carrier = createRequire(import.meta.url)('../../node_modules/nsfwjs/dist/models/mobilenet_v2/model.min.js') as { modelTopology: object };
    const reference = await tfl.models.modelFromJSON({ modelTopology: carrier.modelTopology } as Parameters<typeof tfl.models.modelFromJSON>[0]);
    const weights = mobileNetV2Weights();
    for (const layer of reference.layers) {
      if (layer.weights.length === 0) continue;
      const tensors = layer.weights.map((w) => tf.tensor(weights.get(w.originalName)!.values, weights.get(w.originalName)!.shape));
      layer.setWeights(tensors);
      tf.dispose(tensors);
    }
    const ours = mobileNetV2({ inputShape: [224, 224, 3], numClasses: 4 });
    expect(maxAbsDifference(layerOutput(ours, FEATURE_LAYER_NAME, image), layerOutput(reference, 'out_relu', image))).toBe(0);
    ours.dispose();
    reference.dispose();
  });

  it('takes a grey image as the colour model takes that image on three channels', () => {
    const grey = tf.randomUniform([2, 64, 64, 1], -1, 1, 'float32', 5);
    const colour = tf.tile(grey, [1, 1, 1, 3]);
    const greyModel = buildModel('mobilenetv2', { inputShape: [64, 64, 1], numClasses: 3 });
    const colourModel = buildModel('mobilenetv2', { inputShape: [64, 64, 3], numClasses: 3 });
    const a = layerOutput(greyModel, FEATURE_LAYER_NAME, grey);
    const b = layerOutput(colourModel, FEATURE_LAYER_NAME, colour);
    expect(maxAbsDifference(a, b)).toBeLessThan(1e-4 * Math.max(...b));
    tf.dispose([grey, colour]);
    greyModel.dispose();
    colourModel.dispose();
  });

  it('cut after a block: the pretrained trunk up to it and a new 1×1 feature layer at that stride', () => {
    const cut = mobileNetV2({ inputShape: [96, 96, 3], numClasses: 2 }, { blocks: 11, headChannels: 64 });
    const full = mobileNetV2({ inputShape: [96, 96, 3], numClasses: 2 });
    const input = tf.randomUniform([1, 96, 96, 3], -1, 1, 'float32', 2);
    expect(maxAbsDifference(layerOutput(cut, 'block_10_project_BN', input), layerOutput(full, 'block_10_project_BN', input))).toBe(0);
    expect(cut.getLayer(FEATURE_LAYER_NAME).outputShape).toEqual([null, 6, 6, 64]);
    expect(cut.layers.some((layer) => layer.name.startsWith('block_11'))).toBe(false);
    input.dispose();
    cut.dispose();
    full.dispose();
  });

  it('refuses inputs smaller than its total stride and a width of its own', () => {
    expect(() => buildModel('mobilenetv2', { inputShape: [16, 16, 3], numClasses: 2 })).toThrow('model "mobilenetv2" takes inputs of at least 32×32 pixels; got 16×16');
    expect(() => buildModel('mobilenetv2', { inputShape: [64, 64, 3], numClasses: 2, width: 8 })).toThrow(/fixed widths of its pretrained weights/);
  });

  it('records the input scaling MobileNetV2 expects, [0, 1] pixels to [-1, 1]', () => {
    expect(registeredModel('mobilenetv2').inputNormalisation?.(3)).toEqual({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    expect(registeredModel('mobilenetv2').inputNormalisation?.(1)).toEqual({ mean: [0.5], std: [0.5] });
  });

  it('puts the stem and early blocks, the later blocks and the new head in three parameter groups', () => {
    const model = buildModel('mobilenetv2', { inputShape: [32, 32, 3], numClasses: 2 });
    const groups = parameterGroupsOf('mobilenetv2', model);
    expect(groups.count).toBe(3);
    const names = (g: number) => model.trainableWeights.filter((_, i) => groups.ofWeight[i] === g).map((w) => w.originalName);
    expect(names(0)).toContain('Conv1/kernel');
    expect(names(0)).toContain('block_5_project_BN/gamma');
    expect(names(1)).toContain('block_6_expand/kernel');
    expect(names(1)).toContain('block_13_project/kernel');
    expect(names(1)).not.toContain('Conv_1/kernel');
    expect(names(2)).toEqual(['head_conv/kernel', 'head_conv/bias', 'logits/kernel', 'logits/bias']);
    model.dispose();
  });

  it('exports to ONNX with probabilities and features equal to TF.js within 1e-4 at 96 px', async () => {
    const model = buildModel('mobilenetv2', { inputShape: [96, 96, 3], numClasses: 4, seed: 2 });
    const classifier = await OnnxClassifier.load(exportToOnnx(model, { extraOutputs: [FEATURE_LAYER_NAME] }), { threads: 1 });
    try {
      const input = tf.randomUniform([2, 96, 96, 3], -1, 1, 'float32', 9);
      const onnx = await classifier.run(input.dataSync() as Float32Array, 2);
      expect(maxAbsDifference(onnx.probabilities, layerOutput(model, PROBABILITIES_LAYER_NAME, input))).toBeLessThanOrEqual(1e-4);
      expect(maxAbsDifference(onnx.outputs[FEATURE_LAYER_NAME].data, layerOutput(model, FEATURE_LAYER_NAME, input))).toBeLessThanOrEqual(1e-4);
      input.dispose();
    } finally {
      await classifier.dispose();
      model.dispose();
    }
  });
});
