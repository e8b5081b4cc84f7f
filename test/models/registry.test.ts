import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, MODEL_NAMES, ModelRegistry, registerModel, type ModelSpec } from '../../src/models/index.ts';
import { resolveTrainConfig } from '../../src/train/index.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const SPEC: ModelSpec = { inputShape: [8, 8, 3], numClasses: 3 };

interface Parts {
  featuresName?: string;
  /** Adds a layer the ONNX exporter does not convert before the features. */
  unsupported?: boolean;
  /** Flattens before the layer named 'features', so it is no feature map. */
  flatFeatures?: boolean;
  logitsName?: string;
  logitsActivation?: 'softmax';
  /** Name of the softmax output layer; null leaves it out (the logits are the output). */
  outputName?: string | null;
  /** Ignores the spec's input shape. */
  fixedInput?: [number, number, number];
}

/** conv → GAP → dense → softmax, with the rule-relevant parts replaceable. */
function tinyModel(spec: ModelSpec, parts: Parts = {}): tfl.LayersModel {
  const input = tfl.input({ shape: parts.fixedInput ?? spec.inputShape });
  let x = input;
  if (parts.unsupported) x = tfl.layers.leakyReLU({ name: 'leaky' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: parts.flatFeatures ? 'conv' : (parts.featuresName ?? 'features') }).apply(x) as tfl.SymbolicTensor;
  x = parts.flatFeatures
    ? (tfl.layers.flatten({ name: parts.featuresName ?? 'features' }).apply(x) as tfl.SymbolicTensor)
    : (tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tfl.SymbolicTensor);
  x = tfl.layers.dense({ units: spec.numClasses, activation: parts.logitsActivation, name: parts.logitsName ?? 'logits' }).apply(x) as tfl.SymbolicTensor;
  if (parts.outputName !== null) x = tfl.layers.activation({ activation: 'softmax', name: parts.outputName ?? 'probabilities' }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: x });
}

function registryWith(parts: Parts): ModelRegistry {
  const registry = new ModelRegistry();
  registry.register('broken', { build: (spec) => tinyModel(spec, parts) });
  return registry;
}

describe('model registry rules, checked at every build', () => {
  it('builds a model that keeps every rule', () => {
    const registry = new ModelRegistry();
    registry.register('tiny', { build: (spec) => tinyModel(spec), description: 'conv, GAP, dense' });
    const model = registry.build('tiny', SPEC);
    expect(model.outputs[0].shape).toEqual([null, 3]);
    model.dispose();
    expect(registry.names).toEqual(['tiny']);
    expect(registry.list()).toEqual([expect.objectContaining({ name: 'tiny', description: 'conv, GAP, dense' })]);
  });

  it.each<[string, Parts, RegExp]>([
    ['no features layer', { featuresName: 'conv_last' }, /breaks a rule of the model registry: 'features' layer: the last convolutional feature map must come from a layer named 'features' \(the Grad-CAM target\); there is none/],
    ['features that are no feature map', { flatFeatures: true }, /'features' layer: layer 'features' must output a feature map \[batch, height, width, channels\]; it outputs \[batch, 256\]/],
    ['no logits layer', { logitsName: 'scores' }, /'logits' layer: the pre-softmax class scores must come from a Dense layer named 'logits'.*; there is none/],
    ['no probabilities output', { outputName: 'softmax' }, /'probabilities' output: the model's one output must be a softmax Activation layer named 'probabilities' applied to 'logits'/],
    ['a layer the ONNX exporter cannot convert', { unsupported: true }, /ONNX-exportable layers: the ONNX exporter cannot convert 'leaky' \(LeakyReLU\); it converts Activation, Add, /],
    ['an input other than the spec', { fixedInput: [16, 16, 3] }, /input: the input must be \[batch, 8, 8, 3\] \(the spec's inputShape\); it is \[batch, 16, 16, 3\]/],
  ])('refuses a model with %s, naming the rule', (_, parts, message) => {
    const registry = registryWith(parts);
    const tensorsBefore = tf.memory().numTensors;
    expect(() => registry.build('broken', SPEC)).toThrow(message);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('names every rule a model breaks', () => {
    // Softmax inside 'logits' and no separate output: both the logits and the output rule.
    const registry = registryWith({ logitsActivation: 'softmax', outputName: null });
    expect(() => registry.build('broken', SPEC)).toThrow(
      /model "broken" breaks 2 rules of the model registry: 'logits' layer: .*it is a Dense layer with activation 'softmax' and output \[batch, 3\]; 'probabilities' output: /,
    );
  });

  it('refuses a bad registration at once', () => {
    const registry = new ModelRegistry();
    registry.register('tiny', { build: (spec) => tinyModel(spec) });
    expect(() => registry.register('tiny', { build: (spec) => tinyModel(spec) })).toThrow('a model named "tiny" is already registered');
    expect(() => registry.register('Tiny Net', { build: (spec) => tinyModel(spec) })).toThrow(/model name "Tiny Net" must be lower-case letters, digits and hyphens/);
    expect(() => registry.register('no-build', {} as never)).toThrow('model "no-build" needs a build(spec) function');
    expect(registry.names).toEqual(['tiny']);
  });

  it('checks the spec before building and names the models it knows', () => {
    const registry = new ModelRegistry();
    let built = 0;
    registry.register('tiny', { build: (spec) => (built++, tinyModel(spec)) });
    expect(() => registry.build('tiny', { inputShape: [8, 8, 3], numClasses: 1 })).toThrow(/at least 2 classes/);
    expect(built).toBe(0);
    expect(() => registry.build('vgg', SPEC)).toThrow('unknown model "vgg"; choose one of: tiny');
  });
});

describe('registerModel: the extension point', () => {
  it('makes a new model a choice of buildModel, MODEL_NAMES and the training config', () => {
    expect(MODEL_NAMES).not.toContain('tiny-gap');
    registerModel('tiny-gap', { build: (spec) => tinyModel(spec), description: 'conv, GAP, dense: a test model' });
    expect(MODEL_NAMES).toContain('tiny-gap');
    expect(resolveTrainConfig({ model: 'tiny-gap' }).model).toBe('tiny-gap');
    const model = buildModel('tiny-gap', SPEC);
    expect(model.getLayer('features').outputShape).toEqual([null, 8, 8, 4]);
    model.dispose();
  });
});
