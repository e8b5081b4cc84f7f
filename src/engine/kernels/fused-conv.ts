import * as tf from '@tensorflow/tfjs-core';
import { fusedKernelsActive, reluAndBiasGradient, reluGradient } from './relu.ts';

type FusedConv2DArgs = Parameters<typeof tf.fused.conv2d>[0];

const isOne = (v: number | [number, number] | undefined) => v === undefined || (Array.isArray(v) ? v.every((d) => d === 1) : v === 1);

/** Cases the direct FusedConv2D kernel (with the gradient below) handles; the rest use TF.js's op. */
function runsDirectly(args: FusedConv2DArgs): boolean {
  const { x, filter, bias, activation, preluActivationWeights, dataFormat, dilations } = args;
  return (
    fusedKernelsActive() &&
    x instanceof tf.Tensor && (x.rank === 3 || x.rank === 4) && x.dtype === 'float32' &&
    filter instanceof tf.Tensor && filter.rank === 4 && filter.dtype === 'float32' &&
    (bias == null || (bias instanceof tf.Tensor && bias.rank === 1)) &&
    (activation == null || activation === 'linear' || activation === 'relu') &&
    preluActivationWeights == null && (dataFormat ?? 'NHWC') === 'NHWC' && isOne(dilations)
  );
}

/**
 * Replacement for `tf.fused.conv2d`. In training TF.js un-fuses conv + bias + activation into three
 * kernels and three gradients, and its fused gradient always computes the input gradient (wasted on
 * the first layer). Here the FusedConv2D kernel runs directly and records its own gradient.
 */
export function createFusedConv2d(original: typeof tf.fused.conv2d): typeof tf.fused.conv2d {
  return ((args: FusedConv2DArgs) => {
    if (!runsDirectly(args)) return original(args);
    const x = args.x as tf.Tensor3D | tf.Tensor4D;
    const filter = args.filter as tf.Tensor4D;
    const x4 = x.rank === 3 ? tf.reshape(x, [1, ...x.shape]) : x;
    if (filter.shape[2] !== x4.shape[3]) {
      throw new Error(`conv2d: input depth ${x4.shape[3]} does not match the filter's input depth ${filter.shape[2]}`);
    }
    const inputs: tf.NamedTensorMap = args.bias ? { x: x4, filter, bias: args.bias as tf.Tensor1D } : { x: x4, filter };
    const attrs = {
      strides: args.strides,
      pad: args.pad,
      dataFormat: 'NHWC',
      dilations: args.dilations ?? [1, 1],
      dimRoundingMode: args.dimRoundingMode,
      activation: args.activation ?? 'linear',
      // Read by the gradient only (kernels ignore unknown attributes).
      hasBias: args.bias != null,
    };
    const y = tf.engine().runKernel(tf.FusedConv2D, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
    if (x.rank === 4) return y;
    const y3 = tf.reshape(y, y.shape.slice(1) as [number, number, number]);
    y.dispose();
    x4.dispose();
    return y3;
  }) as typeof tf.fused.conv2d;
}

/** Gradient of the FusedConv2D kernel for the linear and ReLU activations. */
export const fusedConv2DGradConfig: tf.GradConfig = {
  kernelName: tf.FusedConv2D,
  inputsToSave: ['x', 'filter'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter, y] = saved;
    const { strides, pad, dimRoundingMode, activation, hasBias } = attrs as unknown as tf.FusedConv2DAttrs & { hasBias: boolean };
    if (activation !== 'linear' && activation !== 'relu') {
      throw new Error(`no gradient for FusedConv2D with activation '${activation}'`);
    }
    // Shared by the three gradients, so computed here (it lives until the backward pass ends).
    const [dyLinear, biasGradient] =
      activation !== 'relu' ? [dy as tf.Tensor, null] : hasBias ? reluAndBiasGradient(dy as tf.Tensor, y) : [reluGradient(dy as tf.Tensor, y), null];
    const conv = { strides, pad, dataFormat: 'NHWC', dimRoundingMode };
    return {
      x: () => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: dyLinear, filter }, { ...conv, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      filter: () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: dyLinear }, { ...conv, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      bias: () => biasGradient ?? tf.sum(dyLinear, [0, 1, 2]),
    };
  },
};
