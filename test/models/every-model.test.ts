// Every model of the registry, the built-in ones and any added later, must train, export to ONNX
// and explain: this file iterates over the registry, so a new model is tested without a new test.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportToOnnx, OnnxClassifier } from '../../src/engine/onnx/index.ts';
import { camFromFeatures, explainBatch, gapDenseKernel, hasGapDenseHead } from '../../src/explain/index.ts';
import { buildModel, FEATURE_LAYER_NAME, MODEL_NAMES, PROBABILITIES_LAYER_NAME, registeredModel, registeredModels, serializeModelWeights } from '../../src/models/index.ts';
import { trainClassifier, type TrainResult } from '../../src/train/index.ts';
import { createRng } from '../../src/util/index.ts';
import { toyImageSet } from '../train/fixtures/toy-data.ts';

/** Input side of the test images: 16 px, or the smallest a model takes (a pretrained backbone's total stride). */
const sizeFor = (name: string) => Math.max(16, registeredModel(name).minInputSize ?? 0);
/** A narrow model, unless the model's widths are fixed by pretrained weights. */
const widthFor = (name: string) => (registeredModel(name).fixedWidth ? undefined : 4);
const CLASSES = 4;
const TOLERANCE = 1e-4;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((max, v, i) => Math.max(max, Math.abs(v - b[i])), 0);
}

/** Two steps of one epoch (16 images, batches of 8) on the toy quadrant task. */
function trainTwoSteps(name: string): Promise<TrainResult> {
  const size = sizeFor(name);
  const config = { model: name, width: widthFor(name), epochs: 1, batchSize: 8, learningRate: 0.01, patience: 0, seed: 3 };
  return trainClassifier(toyImageSet(16, CLASSES, 1, size), toyImageSet(8, CLASSES, 2, size), config, { numClasses: CLASSES });
}

describe('the model registry', () => {
  it('holds the built-in models, and MODEL_NAMES is its list', () => {
    expect(MODEL_NAMES).toEqual(registeredModels().map((entry) => entry.name));
    expect(MODEL_NAMES).toEqual(expect.arrayContaining(['seed-cnn', 'resnet-small']));
    for (const entry of registeredModels()) expect(entry.description).toBeTruthy();
  });

  it('gives resnet-small the head of the closed-form Grad-CAM that serving relies on', () => {
    const model = buildModel('resnet-small', { inputShape: [16, 16, 1], numClasses: CLASSES, width: 4 });
    expect(hasGapDenseHead(model)).toBe(true);
    model.dispose();
  });
});

describe.each(MODEL_NAMES.map((name) => [name]))('registered model %s', (name) => {
  let trained: TrainResult;
  const SIZE = sizeFor(name);

  beforeAll(async () => {
    trained = await trainTwoSteps(name);
  });
  afterAll(() => trained.model.dispose());

  it('trains: two steps move the weights and give a finite loss', () => {
    expect(trained.status).toBe('completed');
    expect(trained.history).toHaveLength(1);
    expect(Number.isFinite(trained.history[0].loss)).toBe(true);
    expect(Number.isFinite(trained.history[0].valLoss)).toBe(true);
    const untrained = buildModel(name, { inputShape: [SIZE, SIZE, 1], numClasses: CLASSES, width: widthFor(name), seed: 3 });
    expect(maxAbsDifference(serializeModelWeights(trained.model).data, serializeModelWeights(untrained).data)).toBeGreaterThan(1e-4);
    untrained.dispose();
  });

  it(`exports to ONNX with probabilities and features equal to TF.js within ${TOLERANCE}`, async () => {
    const model = trained.model;
    const classifier = await OnnxClassifier.load(exportToOnnx(model, { extraOutputs: [FEATURE_LAYER_NAME] }), { threads: 1 });
    try {
      const rng = createRng(5);
      const n = 3;
      const images = Float32Array.from({ length: n * SIZE * SIZE }, () => rng.next());
      const onnx = await classifier.run(images, n);
      const probe = tfl.model({ inputs: model.inputs, outputs: [PROBABILITIES_LAYER_NAME, FEATURE_LAYER_NAME].map((layer) => model.getLayer(layer).output as tfl.SymbolicTensor) });
      const [probabilities, features] = tf.tidy(() => (probe.predict(tf.tensor4d(images, [n, SIZE, SIZE, 1])) as tf.Tensor[]).map((t) => t.dataSync() as Float32Array));
      expect(maxAbsDifference(onnx.probabilities, probabilities)).toBeLessThanOrEqual(TOLERANCE);
      expect(maxAbsDifference(onnx.outputs[FEATURE_LAYER_NAME].data, features)).toBeLessThanOrEqual(TOLERANCE);
    } finally {
      await classifier.dispose();
    }
  });

  it('explains with Grad-CAM at the features layer, and with the closed-form CAM when it has a GAP + dense head', async () => {
    const model = trained.model;
    const images = tf.randomUniform([2, SIZE, SIZE, 1], 0, 1, 'float32', 7) as tf.Tensor4D;
    const featureModel = tfl.model({ inputs: model.inputs, outputs: model.getLayer(FEATURE_LAYER_NAME).output as tfl.SymbolicTensor });
    const features = featureModel.predict(images) as tf.Tensor4D;
    const [, height, width, channels] = features.shape;
    const featureData = features.dataSync() as Float32Array;
    const kernel = hasGapDenseHead(model) ? gapDenseKernel(model) : null;
    for (let c = 0; c < CLASSES; c++) {
      const explained = explainBatch(model, images, { method: 'gradcam', targetClass: c });
      explained.forEach((gradCam, i) => {
        expect(gradCam.layer).toBe(FEATURE_LAYER_NAME);
        expect([gradCam.height, gradCam.width]).toEqual([height, width]);
        expect(gradCam.map.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
        if (!kernel) return;
        const perImage = height * width * channels;
        const fast = camFromFeatures({ data: featureData.subarray(i * perImage, (i + 1) * perImage), height, width, channels }, kernel, c);
        expect(maxAbsDifference(fast.map, gradCam.map)).toBeLessThan(TOLERANCE);
      });
    }
    tf.dispose([images, features]);
  });
});
