/**
 * Converters from tfjs-layers layers to ONNX nodes. Rank-4 values are NCHW inside the graph (ONNX
 * Conv/Pool layout), so each converter maps TF.js's NHWC semantics onto NCHW.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { float, int, ints, TO_NHWC, type GraphBuilder, type Value } from './graph.ts';

type Layer = tfl.SymbolicTensor['sourceLayer'];

interface LayerContext {
  layer: Layer;
  inputs: Value[];
  /** TF.js (NHWC) shapes of the inputs, batch first. */
  inputShapes: tfl.Shape[];
  graph: GraphBuilder;
}
type Converter = (context: LayerContext) => Value;

function configOf<T>(layer: Layer): T {
  return layer.getConfig() as unknown as T;
}

function pair(value: number | number[]): [number, number] {
  return Array.isArray(value) ? [value[0], value[1] ?? value[0]] : [value, value];
}

function requireChannelsLast(layer: Layer, dataFormat: string | undefined): void {
  if (dataFormat !== undefined && dataFormat !== 'channelsLast') {
    throw new Error(`layer "${layer.name}" uses dataFormat ${dataFormat}; the ONNX exporter supports channelsLast only`);
  }
}

function requireLayout(layer: Layer, value: Value, layout: Value['layout']): void {
  if (value.layout !== layout) {
    const wanted = layout === 'nchw' ? 'a feature map [batch, height, width, channels]' : 'a flat [batch, features] tensor';
    throw new Error(`layer "${layer.name}" (${layer.getClassName()}) is only exported on ${wanted}`);
  }
}

interface Weight {
  shape: number[];
  data: Float32Array;
}

/** The layer's weights keyed by their short name ('kernel', 'bias', 'gamma', 'moving_mean', ...). */
function weightsOf(layer: Layer): Map<string, Weight> {
  const weights = new Map<string, Weight>();
  for (const variable of layer.weights) {
    const shortName = variable.originalName.split('/').pop() ?? variable.originalName;
    weights.set(shortName, { shape: variable.shape.map((d) => d ?? 0), data: new Float32Array(variable.read().dataSync()) });
  }
  return weights;
}

function requiredWeight(layer: Layer, weights: Map<string, Weight>, shortName: string): Weight {
  const weight = weights.get(shortName);
  if (!weight) throw new Error(`layer "${layer.name}" has no weight "${shortName}" (has: ${[...weights.keys()].join(', ')})`);
  return weight;
}

const ACTIVATIONS: Record<string, (graph: GraphBuilder, scope: string, x: Value) => Value> = {
  linear: (_graph, _scope, x) => x,
  relu: (graph, scope, x) => ({ name: graph.node('Relu', scope, [x.name]), layout: x.layout }),
  sigmoid: (graph, scope, x) => ({ name: graph.node('Sigmoid', scope, [x.name]), layout: x.layout }),
  tanh: (graph, scope, x) => ({ name: graph.node('Tanh', scope, [x.name]), layout: x.layout }),
  // TF.js softmax runs over the last (channel) axis, which is axis 1 both in NCHW and in [N, features].
  softmax: (graph, scope, x) => ({ name: graph.node('Softmax', scope, [x.name], [int('axis', 1)]), layout: x.layout }),
};

function activation(layer: Layer, name: string | undefined, graph: GraphBuilder, x: Value): Value {
  const apply = ACTIVATIONS[name ?? 'linear'];
  if (!apply) {
    throw new Error(`layer "${layer.name}" uses activation "${name}", which the ONNX exporter does not support; supported: ${Object.keys(ACTIVATIONS).join(', ')}`);
  }
  return apply(graph, layer.name, x);
}

/**
 * Explicit ONNX pads [top, left, bottom, right] reproducing TF padding. TF 'same' gives an output of
 * ceil(size / stride) and puts the odd pixel of padding at the bottom/right.
 */
function padsFor(layer: Layer, padding: string, inputShape: tfl.Shape, kernel: [number, number], strides: [number, number], dilations: [number, number]): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding !== 'same') throw new Error(`layer "${layer.name}" uses padding "${padding}"; the ONNX exporter supports same and valid`);
  const total = (size: number, k: number, stride: number, dilation: number) =>
    Math.max((Math.ceil(size / stride) - 1) * stride + (k - 1) * dilation + 1 - size, 0);
  const padH = total(inputShape[1] as number, kernel[0], strides[0], dilations[0]);
  const padW = total(inputShape[2] as number, kernel[1], strides[1], dilations[1]);
  return [Math.floor(padH / 2), Math.floor(padW / 2), padH - Math.floor(padH / 2), padW - Math.floor(padW / 2)];
}

/**
 * TF kernel [kh, kw, in, out] -> ONNX Conv weight [out, in, kh, kw]. A depthwise kernel
 * [kh, kw, in, multiplier] becomes a grouped conv weight [in * multiplier, 1, kh, kw] (TF orders the
 * outputs of input channel i as i * multiplier + m, which is also ONNX's group order).
 */
function kernelToOihw(kernel: Weight, depthwise: boolean): Weight {
  const [kh, kw, inChannels, outPerInput] = kernel.shape;
  const data = new Float32Array(kernel.data.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < inChannels; i++) {
        for (let o = 0; o < outPerInput; o++) {
          const source = ((y * kw + x) * inChannels + i) * outPerInput + o;
          const target = depthwise ? ((i * outPerInput + o) * kh + y) * kw + x : ((o * inChannels + i) * kh + y) * kw + x;
          data[target] = kernel.data[source];
        }
      }
    }
  }
  return { shape: depthwise ? [inChannels * outPerInput, 1, kh, kw] : [outPerInput, inChannels, kh, kw], data };
}

interface ConvConfig {
  kernelSize: number | number[];
  strides: number | number[];
  dilationRate: number | number[];
  padding: string;
  dataFormat?: string;
  activation?: string;
}

function convolution(depthwise: boolean): Converter {
  return ({ layer, inputs: [x], inputShapes: [inputShape], graph }) => {
    const config = configOf<ConvConfig>(layer);
    requireChannelsLast(layer, config.dataFormat);
    requireLayout(layer, x, 'nchw');
    const kernelShape = pair(config.kernelSize);
    const strides = pair(config.strides);
    const dilations = pair(config.dilationRate);
    const weights = weightsOf(layer);
    const tfKernel = requiredWeight(layer, weights, depthwise ? 'depthwise_kernel' : 'kernel');
    const kernel = kernelToOihw(tfKernel, depthwise);
    const inputs = [x.name, graph.initializer(layer.name, 'W', kernel.shape, kernel.data)];
    const bias = weights.get('bias');
    if (bias) inputs.push(graph.initializer(layer.name, 'B', bias.shape, bias.data));
    const conv = graph.node('Conv', layer.name, inputs, [
      ints('kernel_shape', kernelShape),
      ints('strides', strides),
      ints('dilations', dilations),
      ints('pads', padsFor(layer, config.padding, inputShape, kernelShape, strides, dilations)),
      int('group', depthwise ? tfKernel.shape[2] : 1),
    ]);
    return activation(layer, config.activation, graph, { name: conv, layout: 'nchw' });
  };
}

interface PoolConfig {
  poolSize: number | number[];
  strides?: number | number[] | null;
  padding: string;
  dataFormat?: string;
}

function pooling(opType: 'MaxPool' | 'AveragePool'): Converter {
  return ({ layer, inputs: [x], inputShapes: [inputShape], graph }) => {
    const config = configOf<PoolConfig>(layer);
    requireChannelsLast(layer, config.dataFormat);
    requireLayout(layer, x, 'nchw');
    const kernelShape = pair(config.poolSize);
    const strides = config.strides == null ? kernelShape : pair(config.strides);
    const attributes = [
      ints('kernel_shape', kernelShape),
      ints('strides', strides),
      ints('pads', padsFor(layer, config.padding, inputShape, kernelShape, strides, [1, 1])),
    ];
    // TF averages over the pixels inside the image only, never over padding.
    if (opType === 'AveragePool') attributes.push(int('count_include_pad', 0));
    return { name: graph.node(opType, layer.name, [x.name], attributes), layout: 'nchw' };
  };
}

function globalPooling(opType: 'GlobalAveragePool' | 'GlobalMaxPool'): Converter {
  return ({ layer, inputs: [x], graph }) => {
    requireChannelsLast(layer, configOf<{ dataFormat?: string }>(layer).dataFormat);
    requireLayout(layer, x, 'nchw');
    const pooled = graph.node(opType, layer.name, [x.name]);
    return { name: graph.node('Flatten', layer.name, [pooled], [int('axis', 1)]), layout: 'flat' };
  };
}

const batchNormalization: Converter = ({ layer, inputs: [x], graph }) => {
  const config = configOf<{ axis: number; epsilon: number }>(layer);
  const rank = x.layout === 'nchw' ? 4 : 2;
  if (config.axis !== -1 && config.axis !== rank - 1) {
    throw new Error(`layer "${layer.name}" normalises axis ${config.axis}; the ONNX exporter supports the channel (last) axis only`);
  }
  const weights = weightsOf(layer);
  const mean = requiredWeight(layer, weights, 'moving_mean');
  const variance = requiredWeight(layer, weights, 'moving_variance');
  const channels = mean.data.length;
  const gamma = weights.get('gamma')?.data ?? new Float32Array(channels).fill(1);
  const beta = weights.get('beta')?.data ?? new Float32Array(channels);
  const inputs = [
    x.name,
    graph.initializer(layer.name, 'scale', [channels], gamma),
    graph.initializer(layer.name, 'B', [channels], beta),
    graph.initializer(layer.name, 'mean', [channels], mean.data),
    graph.initializer(layer.name, 'var', [channels], variance.data),
  ];
  return { name: graph.node('BatchNormalization', layer.name, inputs, [float('epsilon', config.epsilon)]), layout: x.layout };
};

const reLU: Converter = ({ layer, inputs: [x], graph }) => {
  const { maxValue } = configOf<{ maxValue?: number | null }>(layer);
  if (maxValue == null) return { name: graph.node('Relu', layer.name, [x.name]), layout: x.layout };
  const min = graph.initializer(layer.name, 'min', [], Float32Array.of(0));
  const max = graph.initializer(layer.name, 'max', [], Float32Array.of(maxValue));
  return { name: graph.node('Clip', layer.name, [x.name, min, max]), layout: x.layout };
};

const add: Converter = ({ layer, inputs, graph }) => {
  inputs.forEach((input) => requireLayout(layer, input, inputs[0].layout));
  const sum = inputs.slice(1).reduce((acc, input) => graph.node('Add', layer.name, [acc, input.name]), inputs[0].name);
  return { name: sum, layout: inputs[0].layout };
};

/** ZeroPadding2D: an ONNX Pad (constant 0) of the rows and columns. */
const zeroPadding2D: Converter = ({ layer, inputs: [x], graph }) => {
  const { padding, dataFormat } = configOf<{ padding: [[number, number], [number, number]]; dataFormat?: string }>(layer);
  requireChannelsLast(layer, dataFormat);
  requireLayout(layer, x, 'nchw');
  const [[top, bottom], [left, right]] = padding;
  const pads = graph.initializer(layer.name, 'pads', [8], BigInt64Array.from([0, 0, top, left, 0, 0, bottom, right], BigInt));
  return { name: graph.node('Pad', layer.name, [x.name, pads]), layout: 'nchw' };
};

const flatten: Converter = ({ layer, inputs: [x], graph }) => {
  if (x.layout === 'flat') return x;
  const nhwc = graph.node('Transpose', layer.name, [x.name], [ints('perm', TO_NHWC)]);
  return { name: graph.node('Flatten', layer.name, [nhwc], [int('axis', 1)]), layout: 'flat' };
};

const dense: Converter = ({ layer, inputs: [x], graph }) => {
  requireLayout(layer, x, 'flat');
  const weights = weightsOf(layer);
  const kernel = requiredWeight(layer, weights, 'kernel');
  const inputs = [x.name, graph.initializer(layer.name, 'W', kernel.shape, kernel.data)];
  const bias = weights.get('bias');
  if (bias) inputs.push(graph.initializer(layer.name, 'B', bias.shape, bias.data));
  const gemm = graph.node('Gemm', layer.name, inputs);
  return activation(layer, configOf<{ activation?: string }>(layer).activation, graph, { name: gemm, layout: 'flat' });
};

export const CONVERTERS: Record<string, Converter> = {
  Activation: ({ layer, inputs: [x], graph }) => activation(layer, configOf<{ activation: string }>(layer).activation, graph, x),
  Add: add,
  AveragePooling2D: pooling('AveragePool'),
  BatchNormalization: batchNormalization,
  Conv2D: convolution(false),
  Dense: dense,
  DepthwiseConv2D: convolution(true),
  // Dropout is the identity at inference.
  Dropout: ({ inputs: [x] }) => x,
  Flatten: flatten,
  GlobalAveragePooling2D: globalPooling('GlobalAveragePool'),
  GlobalMaxPooling2D: globalPooling('GlobalMaxPool'),
  MaxPooling2D: pooling('MaxPool'),
  ReLU: reLU,
  ZeroPadding2D: zeroPadding2D,
};

/** Layer class names the exporter can convert (besides InputLayer). */
export const SUPPORTED_LAYER_TYPES: readonly string[] = Object.keys(CONVERTERS);
