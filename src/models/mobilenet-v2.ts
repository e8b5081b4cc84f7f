import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mobileNetV2Weights, type PretrainedWeight } from './pretrained-weights.ts';
import { registerModel, type ModelSpec } from './registry.ts';
import { FEATURE_LAYER_NAME, LOGITS_LAYER_NAME, PROBABILITIES_LAYER_NAME } from './rules.ts';

type Tensor = tfl.SymbolicTensor;

/** Keras MobileNetV2's inverted-residual stages: expansion, output channels, blocks, stride of the first. */
const STAGES: readonly [expansion: number, channels: number, blocks: number, stride: number][] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

/** The last block of Keras's MobileNetV2 (block 16); Conv_1 (1280 channels) follows it. */
const MOBILENET_V2_BLOCKS = 17;

export interface MobileNetV2Options {
  /**
   * Blocks of the pretrained trunk kept (1-17, counting block 0): with all 17, Keras's Conv_1 (1280
   * channels) is the feature map; with fewer, a new 1×1 convolution of `headChannels` follows the last block kept.
   */
  blocks?: number;
  /** Channels of the new 1×1 convolution after a cut trunk. */
  headChannels?: number;
  /** Momentum of the batch-norm moving statistics (Keras trained with 0.999; fine-tuning runs are short). */
  batchNormMomentum?: number;
  /** Load the pretrained weights (default true). */
  pretrained?: boolean;
}

/** Keras's correct_pad: the zero padding that lets a 3×3 stride-2 'valid' window cover the map like 'same' would. */
function padFor(x: Tensor, name: string): Tensor {
  const [, h, w] = x.shape as number[];
  return tfl.layers.zeroPadding2d({ padding: [[h % 2, 1], [w % 2, 1]], name }).apply(x) as Tensor;
}

/** Index of the block (0-16) a Keras layer name belongs to: -1 for the stem, 17 for Conv_1 and our head. */
function blockOfLayer(name: string): number {
  if (name.startsWith('expanded_conv')) return 0;
  const block = /^block_(\d+)_/.exec(name);
  if (block) return Number(block[1]);
  return name === 'Conv1' || name === 'Conv1_pad' || name === 'bn_Conv1' || name === 'Conv1_relu' ? -1 : MOBILENET_V2_BLOCKS;
}

/**
 * Keras's MobileNetV2 (alpha 1) with Keras's layer names, built in code for any input of at least
 * 32 px (its total stride), one or three channels; then global average pooling, a dense 'logits'
 * layer and the softmax 'probabilities'. Inputs are expected in [-1, 1] (MobileNetV2's scaling:
 * mean 0.5, sd 0.5 on [0, 1] pixels). A grey input takes the colour stem's kernel summed over its
 * channels: exactly what the colour trunk computes for a grey image repeated on three channels.
 */
export function mobileNetV2(spec: ModelSpec, options: MobileNetV2Options = {}): tfl.LayersModel {
  const blocks = options.blocks ?? MOBILENET_V2_BLOCKS;
  if (!Number.isInteger(blocks) || blocks < 1 || blocks > MOBILENET_V2_BLOCKS) throw new Error(`MobileNetV2 keeps 1 to ${MOBILENET_V2_BLOCKS} blocks; got ${blocks}`);
  const momentum = options.batchNormMomentum ?? 0.9;
  let seed = (spec.seed ?? 1) * 1000;
  const bn = (x: Tensor, name: string) => tfl.layers.batchNormalization({ momentum, epsilon: 1e-3, name }).apply(x) as Tensor;
  const relu6 = (x: Tensor, name: string) => tfl.layers.reLU({ maxValue: 6, name }).apply(x) as Tensor;
  const conv1x1 = (x: Tensor, filters: number, name: string) =>
    tfl.layers.conv2d({ filters, kernelSize: 1, padding: 'same', useBias: false, kernelInitializer: tfl.initializers.heNormal({ seed: seed++ }), name }).apply(x) as Tensor;
  const depthwise = (x: Tensor, stride: number, name: string) =>
    tfl.layers
      .depthwiseConv2d({ kernelSize: 3, strides: stride, padding: stride === 2 ? 'valid' : 'same', useBias: false, depthwiseInitializer: tfl.initializers.heNormal({ seed: seed++ }), name })
      .apply(stride === 2 ? padFor(x, name.replace('_depthwise', '_pad')) : x) as Tensor;

  const input = tfl.input({ shape: spec.inputShape, name: 'image' });
  const stem = tfl.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'valid', useBias: false, kernelInitializer: tfl.initializers.heNormal({ seed: seed++ }), name: 'Conv1' });
  let x = relu6(bn(stem.apply(padFor(input, 'Conv1_pad')) as Tensor, 'bn_Conv1'), 'Conv1_relu');

  let block = 0;
  for (const [expansion, channels, count, firstStride] of STAGES) {
    for (let i = 0; i < count && block < blocks; i++, block++) {
      const prefix = block === 0 ? 'expanded_conv_' : `block_${block}_`;
      const inChannels = x.shape[3] as number;
      const stride = i === 0 ? firstStride : 1;
      let y = x;
      if (expansion !== 1) y = relu6(bn(conv1x1(y, inChannels * expansion, `${prefix}expand`), `${prefix}expand_BN`), `${prefix}expand_relu`);
      y = relu6(bn(depthwise(y, stride, `${prefix}depthwise`), `${prefix}depthwise_BN`), `${prefix}depthwise_relu`);
      y = bn(conv1x1(y, channels, `${prefix}project`), `${prefix}project_BN`);
      x = stride === 1 && inChannels === channels ? (tfl.layers.add({ name: `${prefix}add` }).apply([x, y]) as Tensor) : y;
    }
  }
  if (blocks === MOBILENET_V2_BLOCKS) {
    x = relu6(bn(conv1x1(x, 1280, 'Conv_1'), 'Conv_1_bn'), FEATURE_LAYER_NAME);
  } else {
    // A new 1×1 layer with a bias and no batch norm: its scale is learnt while the trunk is frozen.
    const head = tfl.layers.conv2d({ filters: options.headChannels ?? 512, kernelSize: 1, kernelInitializer: tfl.initializers.heNormal({ seed: seed++ }), name: 'head_conv' });
    x = relu6(head.apply(x) as Tensor, FEATURE_LAYER_NAME);
  }
  x = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as Tensor;
  x = tfl.layers.dense({ units: spec.numClasses, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed++ }), name: LOGITS_LAYER_NAME }).apply(x) as Tensor;
  const output = tfl.layers.activation({ activation: 'softmax', name: PROBABILITIES_LAYER_NAME }).apply(x) as Tensor;
  const model = tfl.model({ inputs: input, outputs: output, name: 'mobilenetv2' });
  if (options.pretrained ?? true) loadPretrained(model, mobileNetV2Weights());
  return model;
}

/** Keras's weight names of a layer, in the order of the layer's own weights. */
function kerasWeightNames(layer: tfl.layers.Layer): string[] | null {
  switch (layer.getClassName()) {
    case 'Conv2D':
      return layer.name === 'head_conv' ? null : [`${layer.name}/kernel`];
    case 'DepthwiseConv2D':
      return [`${layer.name}/depthwise_kernel`];
    case 'BatchNormalization':
      return ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((weight) => `${layer.name}/${weight}`);
    default:
      return null;
  }
}

/** Copies the pretrained weights into every trunk layer (the new head keeps its seeded initial weights). */
function loadPretrained(model: tfl.LayersModel, weights: Map<string, PretrainedWeight>): void {
  for (const layer of model.layers) {
    const names = kerasWeightNames(layer);
    if (!names) continue;
    const values = names.map((name, i) => {
      const weight = weights.get(name);
      if (!weight) throw new Error(`the pretrained MobileNetV2 has no weight "${name}"`);
      return layer.name === 'Conv1' && i === 0 ? stemFor(weight, layer.weights[0].shape[2] as number) : weight;
    });
    const tensors = values.map((weight, i) => {
      const expected = layer.weights[i].shape;
      if (weight.shape.join() !== expected.join()) throw new Error(`pretrained weight "${names[i]}" is [${weight.shape}], layer ${layer.name} expects [${expected}]`);
      return tf.tensor(weight.values, weight.shape, 'float32');
    });
    layer.setWeights(tensors);
    tf.dispose(tensors);
  }
}

/** The stem kernel [3, 3, 3, 32] for `channels` input channels: summed over the colour channels for a grey input. */
function stemFor(kernel: PretrainedWeight, channels: number): PretrainedWeight {
  if (channels === 3) return kernel;
  if (channels !== 1) throw new Error(`MobileNetV2 takes 1 or 3 input channels; got ${channels}`);
  const [kh, kw, c, filters] = kernel.shape;
  const values = new Float32Array(kh * kw * filters);
  for (let p = 0; p < kh * kw; p++) {
    for (let ch = 0; ch < c; ch++) {
      for (let f = 0; f < filters; f++) values[p * filters + f] += kernel.values[(p * c + ch) * filters + f];
    }
  }
  return { shape: [kh, kw, 1, filters], values };
}

/**
 * Blocks of the registered backbone: 0-13, to stride 32 (measured against all 17 and against 0-10 on
 * BCCD, see README). Blocks 14-16 were tuned by nsfwjs for its own task and cost a third of the time.
 */
const BACKBONE_BLOCKS = 14;

/** Parameter groups of the backbone: 0 = stem and blocks 0-5 (to stride 8), 1 = the rest of the pretrained trunk, 2 = the new head. */
function mobileNetV2Group(layerName: string): number {
  if (layerName === 'head_conv' || layerName === LOGITS_LAYER_NAME) return 2;
  return blockOfLayer(layerName) <= 5 ? 0 : 1;
}

registerModel('mobilenetv2', {
  build: (spec) => mobileNetV2(spec, { blocks: BACKBONE_BLOCKS }),
  description: "Keras's MobileNetV2 (blocks 0-13) with ImageNet weights from the nsfwjs npm package, a new 1×1 convolution, global average pooling, dense: fine-tuned head first",
  minInputSize: 32,
  fixedWidth: true,
  inputNormalisation: (channels) => ({ mean: new Array<number>(channels).fill(0.5), std: new Array<number>(channels).fill(0.5) }),
  fineTune: { groups: 3, groupOf: mobileNetV2Group, freezeEpochs: 1, layerRateRatio: 100, frozenGroups: 1, batchNorm: 'frozen', epochs: 15, steps: 150, learningRate: 3e-3, batchSize: 16, patience: 0, inputSize: 128 },
});
