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
  checkSupported(model);
  const input = imageInput(model);
  const outputs = new Map<string, SymbolicTensor>();
  for (const tensor of model.outputs) outputs.set(tensor.sourceLayer.name, tensor);
  for (const name of options.extraOutputs ?? []) outputs.set(name, layerOutput(model, name));

  const inputName = input.sourceLayer.name;
  const graph = new GraphBuilder([inputName, ...outputs.keys()]);
  const values = new Map<number, Value>();
  values.set(input.id, { name: graph.node('Transpose', inputName, [inputName], [ints('perm', TO_NCHW)]), layout: 'nchw' });

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

  for (const [name, tensor] of outputs) {
    const value = convert(tensor);
    if (value.layout === 'nchw') graph.node('Transpose', name, [value.name], [ints('perm', TO_NHWC)], name);
    else graph.node('Identity', name, [value.name], [], name);
  }

  const withBatch = (shape: tfl.Shape) => [ONNX_BATCH_DIM, ...shape.slice(1).map((d) => d as number)];
  return encodeOnnxModel({
    irVersion: ONNX_IR_VERSION,
    opsetVersion: ONNX_OPSET_VERSION,
    producerName: 'gramlens',
    docString: `Exported by gramlens from TF.js model "${model.name}". Input "${inputName}": float32 NHWC. Outputs: ${[...outputs.keys()].join(', ')}.`,
    graph: {
      name: model.name,
      nodes: graph.nodes,
      initializers: graph.initializers,
      inputs: [{ name: inputName, shape: withBatch(input.shape) }],
      outputs: [...outputs].map(([name, tensor]) => ({ name, shape: withBatch(tensor.shape) })),
    },
  });
}
