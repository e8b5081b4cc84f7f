import type * as tfl from '@tensorflow/tfjs-layers';
import type { ModelSpec } from './registry.ts';

/** Name of the layer whose output is the last convolutional feature map (the Grad-CAM target). */
export const FEATURE_LAYER_NAME = 'features';
/** Name of the dense layer whose output is the pre-softmax class scores. */
export const LOGITS_LAYER_NAME = 'logits';
/** Name of the model's output layer: softmax over the logits. */
export const PROBABILITIES_LAYER_NAME = 'probabilities';

/**
 * Layer classes the ONNX exporter (engine/onnx) converts, besides InputLayer. models/ does not import
 * the engine (whose onnx folder also loads onnxruntime), so the list is kept here and the exporter's
 * test asserts that it equals the exporter's own.
 */
export const ONNX_EXPORTABLE_LAYERS: readonly string[] = [
  'Activation',
  'Add',
  'AveragePooling2D',
  'BatchNormalization',
  'Conv2D',
  'Dense',
  'DepthwiseConv2D',
  'Dropout',
  'Flatten',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'MaxPooling2D',
  'ReLU',
  'ZeroPadding2D',
];

type Layer = tfl.layers.Layer;

interface ModelRule {
  name: string;
  /** What is wrong, or null when the model keeps the rule. */
  check(model: tfl.LayersModel, spec: ModelSpec): string | null;
}

const shapeText = (shape: readonly (number | null)[]) => `[${shape.map((d) => d ?? 'batch').join(', ')}]`;

function outputShape(layer: Layer): readonly (number | null)[] | null {
  const shape = layer.outputShape;
  return Array.isArray(shape[0]) ? null : (shape as (number | null)[]);
}

function inboundLayers(layer: Layer): Layer[] {
  return layer.inboundNodes.flatMap((node) => node.inboundLayers);
}

const findLayer = (model: tfl.LayersModel, name: string) => model.layers.find((l) => l.name === name) ?? null;

/** What every registered model must keep: the training loop, Grad-CAM, serving and the ONNX export rely on it. */
const RULES: ModelRule[] = [
  {
    name: 'input',
    check: (model, spec) => {
      const expected = [null, ...spec.inputShape];
      if (model.inputs.length !== 1) return `the model must have one image input; it has ${model.inputs.length}`;
      const shape = model.inputs[0].shape;
      return shape.join() === expected.join() ? null : `the input must be ${shapeText(expected)} (the spec's inputShape); it is ${shapeText(shape)}`;
    },
  },
  {
    name: `'${FEATURE_LAYER_NAME}' layer`,
    check: (model) => {
      const features = findLayer(model, FEATURE_LAYER_NAME);
      if (!features) return `the last convolutional feature map must come from a layer named '${FEATURE_LAYER_NAME}' (the Grad-CAM target); there is none`;
      const shape = outputShape(features);
      return shape?.length === 4 ? null : `layer '${FEATURE_LAYER_NAME}' must output a feature map [batch, height, width, channels]; it outputs ${shape ? shapeText(shape) : 'several tensors'}`;
    },
  },
  {
    name: `'${LOGITS_LAYER_NAME}' layer`,
    check: (model, spec) => {
      const logits = findLayer(model, LOGITS_LAYER_NAME);
      const role = `the pre-softmax class scores must come from a Dense layer named '${LOGITS_LAYER_NAME}' with no activation and one unit per class`;
      if (!logits) return `${role}; there is none`;
      const activation = (logits.getConfig().activation as string | undefined) ?? 'linear';
      const shape = outputShape(logits);
      if (logits.getClassName() !== 'Dense' || activation !== 'linear' || shape?.join() !== [null, spec.numClasses].join()) {
        return `${role}; it is a ${logits.getClassName()} layer with activation '${activation}' and output ${shape ? shapeText(shape) : 'of several tensors'}`;
      }
      return null;
    },
  },
  {
    name: `'${PROBABILITIES_LAYER_NAME}' output`,
    check: (model) => {
      const output = model.outputs.length === 1 ? model.outputs[0].sourceLayer : null;
      const isSoftmaxOfLogits =
        output?.name === PROBABILITIES_LAYER_NAME &&
        output.getClassName() === 'Activation' &&
        output.getConfig().activation === 'softmax' &&
        inboundLayers(output).map((l) => l.name).join() === LOGITS_LAYER_NAME;
      return isSoftmaxOfLogits ? null : `the model's one output must be a softmax Activation layer named '${PROBABILITIES_LAYER_NAME}' applied to '${LOGITS_LAYER_NAME}'`;
    },
  },
  {
    name: 'ONNX-exportable layers',
    check: (model) => {
      const unsupported = model.layers.filter((l) => l.getClassName() !== 'InputLayer' && !ONNX_EXPORTABLE_LAYERS.includes(l.getClassName()));
      if (unsupported.length === 0) return null;
      const named = unsupported.map((l) => `'${l.name}' (${l.getClassName()})`).join(', ');
      return `the ONNX exporter cannot convert ${named}; it converts ${ONNX_EXPORTABLE_LAYERS.join(', ')}`;
    },
  },
];

/** The broken rules of a built model, each as "rule name: what is wrong"; empty when it keeps them all. */
export function modelRuleViolations(model: tfl.LayersModel, spec: ModelSpec): string[] {
  return RULES.flatMap((rule) => {
    const problem = rule.check(model, spec);
    return problem === null ? [] : [`${rule.name}: ${problem}`];
  });
}
