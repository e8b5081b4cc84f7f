/**
 * TF.js (tfjs-layers) model -> ONNX graph.
 *
 * The ONNX model takes the same float32 NHWC input [N, H, W, C] as the TF.js model (N dynamic).
 * Internally feature maps are NCHW (ONNX Conv/Pool layout): the input is transposed once, and
 * transposed back to NHWC before Flatten (TF flattens in HWC order) and for every feature-map output.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { GraphBuilder, ints, TO_NCHW, TO_NHWC, type Value } from './graph.ts';
import { CONVERTERS, SUPPORTED_LAYER_TYPES } from './layers.ts';
import { encodeOnnxModel } from './onnx-proto.ts';

export { SUPPORTED_LAYER_TYPES };

export const ONNX_OPSET_VERSION = 13;
const ONNX_IR_VERSION = 7;
/** The symbolic batch dimension of the graph input and outputs. */
export const ONNX_BATCH_DIM = 'N';

export interface OnnxExportOptions {
  /**
   * Layers whose outputs become additional graph outputs, named after the layer, in TF.js layout
   * (NHWC for feature maps); e.g. `['features']` for the Grad-CAM target.
   */
  extraOutputs?: string[];
}

type SymbolicTensor = tfl.SymbolicTensor;

function checkSupported(model: tfl.LayersModel): void {
  const unsupported = model.layers.filter((l) => l.getClassName() !== 'InputLayer' && !(l.getClassName() in CONVERTERS));
  if (unsupported.length > 0) {
    const named = unsupported.map((l) => `"${l.name}" (${l.getClassName()})`).join(', ');
    throw new Error(`cannot export model "${model.name}" to ONNX: unsupported layer ${named}; supported layer types: ${SUPPORTED_LAYER_TYPES.join(', ')}`);
  }
}

function imageInput(model: tfl.LayersModel): SymbolicTensor {
  if (model.inputs.length !== 1) throw new Error(`the ONNX exporter supports single-input models; "${model.name}" has ${model.inputs.length} inputs`);
  const input = model.inputs[0];
  const [, ...example] = input.shape;
  if (example.length !== 3 || example.some((d) => d == null)) {
    throw new Error(`the ONNX exporter needs a fixed image input [height, width, channels]; "${model.name}" has input shape [${input.shape.join(', ')}]`);
  }
  return input;
}

function layerOutput(model: tfl.LayersModel, layerName: string): SymbolicTensor {
  const layer = model.layers.find((l) => l.name === layerName);
  if (!layer) throw new Error(`extraOutputs: model "${model.name}" has no layer named "${layerName}"`);
  const output = layer.output;
  if (Array.isArray(output)) throw new Error(`extraOutputs: layer "${layerName}" has several outputs; only single-output layers can be exported`);
  return output;
}

/**
 * Serialises a TF.js layers model as an ONNX model (opset 13).
 *
 * Graph input: named after the TF.js input layer, float32 NHWC [N, H, W, C].
 * Graph outputs, each named after its layer, in TF.js layout: first the model's outputs (for the zoo
 * models 'probabilities' [N, classes]), then the `extraOutputs` layers (e.g. 'features' [N, h, w, c]).
 */
export function exportToOnnx(model: tfl.LayersModel, options: OnnxExportOptions = {}): Uint8Array {
  return exportEnsembleToOnnx([model], options);
}

/**
 * Several models of one input shape and output names (an ensemble's members) as one ONNX graph, the
 * members side by side: each model output is the Mean of the members' (e.g. the averaged
 * 'probabilities'), and the `extraOutputs` are the first member's. One model: exportToOnnx.
 */
export function exportEnsembleToOnnx(models: readonly tfl.LayersModel[], options: OnnxExportOptions = {}): Uint8Array {
  if (models.length === 0) throw new Error('exportEnsembleToOnnx needs at least one model');
  const [first] = models;
  models.forEach(checkSupported);
  const input = imageInput(first);
  const outputNames = first.outputs.map((tensor) => tensor.sourceLayer.name);
  for (const model of models.slice(1)) {
    const shape = imageInput(model).shape.join(',');
    if (shape !== input.shape.join(',') || model.outputs.map((tensor) => tensor.sourceLayer.name).join(',') !== outputNames.join(',')) {
      throw new Error(`cannot export "${model.name}" beside "${first.name}": an ensemble's members need the same input shape and outputs`);
    }
  }
  const extraOutputs = new Map((options.extraOutputs ?? []).map((name) => [name, layerOutput(first, name)] as const));

  const inputName = input.sourceLayer.name;
  const graph = new GraphBuilder([inputName, ...outputNames, ...extraOutputs.keys()]);
  const transposedInput: Value = { name: graph.node('Transpose', inputName, [inputName], [ints('perm', TO_NCHW)]), layout: 'nchw' };
  const converters = models.map((model) => memberConverter(model, transposedInput, graph));

  const emit = (name: string, values: Value[]) => {
    if (values.length > 1) {
      if (values.some((value) => value.layout !== 'flat')) throw new Error(`cannot average output "${name}" over an ensemble: only flat outputs can be`);
      graph.node('Mean', name, values.map((value) => value.name), [], name);
    } else if (values[0].layout === 'nchw') graph.node('Transpose', name, [values[0].name], [ints('perm', TO_NHWC)], name);
    else graph.node('Identity', name, [values[0].name], [], name);
  };
  first.outputs.forEach((_, o) => emit(outputNames[o], models.map((model, m) => converters[m](model.outputs[o]))));
  for (const [name, tensor] of extraOutputs) emit(name, [converters[0](tensor)]);

  const withBatch = (shape: tfl.Shape) => [ONNX_BATCH_DIM, ...shape.slice(1).map((d) => d as number)];
  const outputs: [string, SymbolicTensor][] = [...first.outputs.map((tensor, o) => [outputNames[o], tensor] as [string, SymbolicTensor]), ...extraOutputs];
  const members = models.length > 1 ? ` The mean of ${models.length} models side by side.` : '';
  return encodeOnnxModel({
    irVersion: ONNX_IR_VERSION,
    opsetVersion: ONNX_OPSET_VERSION,
    producerName: 'gramlens',
    docString: `Exported by gramlens from TF.js model "${first.name}".${members} Input "${inputName}": float32 NHWC. Outputs: ${outputs.map(([name]) => name).join(', ')}.`,
    graph: {
      name: first.name,
      nodes: graph.nodes,
      initializers: graph.initializers,
      inputs: [{ name: inputName, shape: withBatch(input.shape) }],
      outputs: outputs.map(([name, tensor]) => ({ name, shape: withBatch(tensor.shape) })),
    },
  });
}

/** Converts a model's tensors into the graph, its input being the shared transposed input. */
function memberConverter(model: tfl.LayersModel, transposedInput: Value, graph: GraphBuilder): (tensor: SymbolicTensor) => Value {
  const values = new Map<number, Value>([[model.inputs[0].id, transposedInput]]);
  const convert = (tensor: SymbolicTensor): Value => {
    const known = values.get(tensor.id);
    if (known) return known;
    const layer = tensor.sourceLayer;
    const value = CONVERTERS[layer.getClassName()]({
      layer,
      inputs: tensor.inputs.map(convert),
      inputShapes: tensor.inputs.map((t) => t.shape),
      graph,
    });
    values.set(tensor.id, value);
    return value;
  };
  return convert;
}
