/**
 * The subset of onnx.proto that the exporter writes, with its field numbers
 * (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto). Graph inputs and outputs are float32.
 */
import { ProtoWriter } from './protobuf.ts';

export type OnnxAttribute =
  | { name: string; type: 'int'; value: number }
  | { name: string; type: 'ints'; value: readonly number[] }
  | { name: string; type: 'float'; value: number }
  | { name: string; type: 'floats'; value: readonly number[] };

export interface OnnxNode {
  opType: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes: readonly OnnxAttribute[];
}

/** A constant tensor: float32 (weights) or int64 (shapes and paddings). */
export interface OnnxInitializer {
  name: string;
  dims: readonly number[];
  data: Float32Array | BigInt64Array;
}

/** A float32 graph input or output; a string dimension is symbolic (e.g. the batch size 'N'). */
export interface OnnxValueInfo {
  name: string;
  shape: readonly (number | string)[];
}

export interface OnnxGraph {
  name: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxInitializer[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  opsetVersion: number;
  producerName: string;
  docString: string;
  graph: OnnxGraph;
}

const TENSOR_FLOAT = 1;
const TENSOR_INT64 = 7;
const ATTRIBUTE_TYPE = { float: 1, int: 2, floats: 6, ints: 7 } as const;

function attributeProto(attribute: OnnxAttribute): ProtoWriter {
  const w = new ProtoWriter().string(1, attribute.name).varint(20, ATTRIBUTE_TYPE[attribute.type]);
  switch (attribute.type) {
    case 'float':
      return w.float(2, attribute.value);
    case 'int':
      return w.varint(3, attribute.value);
    case 'floats':
      attribute.value.forEach((v) => w.float(7, v));
      return w;
    case 'ints':
      attribute.value.forEach((v) => w.varint(8, v));
      return w;
  }
}

function nodeProto(node: OnnxNode): ProtoWriter {
  const w = new ProtoWriter();
  node.inputs.forEach((name) => w.string(1, name));
  node.outputs.forEach((name) => w.string(2, name));
  w.string(3, node.name).string(4, node.opType);
  node.attributes.forEach((a) => w.message(5, attributeProto(a)));
  return w;
}

function tensorProto(tensor: OnnxInitializer): ProtoWriter {
  const expected = tensor.dims.reduce((a, b) => a * b, 1);
  if (tensor.data.length !== expected) {
    throw new Error(`initializer "${tensor.name}" has ${tensor.data.length} values but dims [${tensor.dims.join(', ')}] need ${expected}`);
  }
  const { data } = tensor;
  const raw = new Uint8Array(data.byteLength);
  const view = new DataView(raw.buffer);
  if (data instanceof BigInt64Array) data.forEach((v, i) => view.setBigInt64(i * 8, v, true));
  else data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  const w = new ProtoWriter();
  tensor.dims.forEach((d) => w.varint(1, d));
  return w.varint(2, data instanceof BigInt64Array ? TENSOR_INT64 : TENSOR_FLOAT).string(8, tensor.name).bytes(9, raw);
}

function valueInfoProto(info: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const dim of info.shape) {
    const dimension = new ProtoWriter();
    if (typeof dim === 'string') dimension.string(2, dim);
    else dimension.varint(1, dim);
    shape.message(1, dimension);
  }
  const tensorType = new ProtoWriter().varint(1, TENSOR_FLOAT).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, info.name).message(2, type);
}

function graphProto(graph: OnnxGraph): ProtoWriter {
  const w = new ProtoWriter();
  graph.nodes.forEach((n) => w.message(1, nodeProto(n)));
  w.string(2, graph.name);
  graph.initializers.forEach((t) => w.message(5, tensorProto(t)));
  graph.inputs.forEach((v) => w.message(11, valueInfoProto(v)));
  graph.outputs.forEach((v) => w.message(12, valueInfoProto(v)));
  return w;
}

export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const opset = new ProtoWriter().string(1, '').varint(2, model.opsetVersion);
  return new ProtoWriter()
    .varint(1, model.irVersion)
    .string(2, model.producerName)
    .string(6, model.docString)
    .message(7, graphProto(model.graph))
    .message(8, opset)
    .finish();
}
