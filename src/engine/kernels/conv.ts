import * as tf from '@tensorflow/tfjs-core';
import { float32View, heapOffset, withScratch } from '../wasm-heap.ts';
import { offsetsOf, requireFloat32, runStock, withShape, type KernelContext, type WasmKernelFunc } from './context.ts';
import { CHANNEL_BLOCK, convolve, convolveInto, winogradPlan, withPadded } from './convolution.ts';

type ConvAttrs = Pick<tf.Conv2DBackpropFilterAttrs, 'strides' | 'pad' | 'dataFormat' | 'dimRoundingMode'> & { dilations?: [number, number] | number };

function convInfoOf(xShape: number[], filterShape: number[], attrs: ConvAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode,
  );
}

function requireNhwc(kernelName: string, attrs: ConvAttrs): void {
  if (attrs.dataFormat === 'NCHW') throw new Error(`${kernelName} on wasm supports NHWC data only`);
}

/**
 * Conv2D and FusedConv2D (bias, linear or ReLU) on our kernels, 25-50% faster than XNNPACK's here;
 * other activations, dilations, data formats and channel counts go to the stock kernels.
 */
function forwardConv(context: KernelContext, kernelName: 'Conv2D' | 'FusedConv2D'): WasmKernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, filter, bias, preluActivationWeights } = inputs;
    const conv = attrs as unknown as tf.FusedConv2DAttrs;
    const activation = conv.activation ?? 'linear';
    if (conv.dataFormat === 'NCHW') return runStock(context, kernelName, backend, inputs, attrs);
    const info = convInfoOf(x.shape, filter.shape, conv);
    const fits =
      info.dilationHeight === 1 && info.dilationWidth === 1 && info.outChannels % CHANNEL_BLOCK === 0 &&
      x.dtype === 'float32' && filter.dtype === 'float32' && (activation === 'linear' || activation === 'relu') && !preluActivationWeights &&
      (!bias || (bias.shape.length === 1 && bias.shape[0] === info.outChannels && bias.dtype === 'float32'));
    if (!fits) return runStock(context, kernelName, backend, inputs, attrs);
    const [xAt, filterAt, biasAt] = offsetsOf(backend, x, filter, ...(bias ? [bias] : []));
    return convolve(context, backend, {
      at: xAt, shape: x.shape, filterAt, filterShape: filter.shape,
      strides: [info.strideHeight, info.strideWidth], top: info.padInfo.top, left: info.padInfo.left,
      outSize: [info.outHeight, info.outWidth], biasAt: biasAt ?? 0, relu: activation === 'relu',
    });
  };
}

export function conv2D(context: KernelContext): WasmKernelFunc {
  return forwardConv(context, 'Conv2D');
}

export function fusedConv2D(context: KernelContext): WasmKernelFunc {
  return forwardConv(context, 'FusedConv2D');
}

/**
 * Filter gradient, Σ over images and output pixels of x ⊗ dy: Winograd for 3×3 stride 1 with enough
 * channels, else straight from the padded input. No im2col buffer and no GEMM packing (XNNPACK would
 * pack dy, its "weights", costing more than the product).
 */
export function conv2DBackpropFilter(context: KernelContext): WasmKernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs;
    const { filterShape, ...conv } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    requireNhwc('Conv2DBackpropFilter', conv);
    requireFloat32('Conv2DBackpropFilter', x, dy);
    const info = convInfoOf(x.shape, filterShape, conv);
    const { batchSize: n, inChannels: c, outHeight: oh, outWidth: ow, outChannels: co } = info;
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
    const { top, left } = info.padInfo;
    const [xAt, dyAt] = offsetsOf(backend, x, dy);
    const gradient = backend.makeOutput([...filterShape], 'float32');
    const gradientAt = heapOffset(backend, gradient);
    const winograd = winogradPlan(c, co, [kh, kw], [sh, sw], [oh, ow]);
    if (!winograd) {
      withPadded(context, backend, xAt, x.shape, top, left, (oh - 1) * sh + kh, (ow - 1) * sw + kw, (padded) =>
        context.simd.conv2dFilterGrad(padded.at, n, padded.height, padded.width, c, dyAt, oh, ow, co, kh, kw, sh, sw, gradientAt),
      );
      return gradient;
    }
    withScratch(backend, [winograd.blockFloats + 16 * c * co], ([blocks]) =>
      withPadded(context, backend, xAt, x.shape, top, left, winograd.rows, winograd.cols, (padded) =>
        context.simd.winogradFilterGrad3x3(padded.at, n, padded.height, padded.width, c, dyAt, oh, ow, co, gradientAt, winograd.blockTiles, heapOffset(backend, blocks)),
      ),
    );
    return gradient;
  };
}

/**
 * Input gradient, by stride phases: the input pixels with the same (position + padding) mod stride
 * receive dy through the same filter taps, so each phase is a stride-1 convolution of dy by those taps
 * (flipped, inputs and outputs swapped), written back every stride-th pixel. Stride 1 is one phase
 * written in place. When the input channels are not a multiple of 8, stride 1 uses XNNPACK instead.
 */
export function conv2DBackpropInput(context: KernelContext): WasmKernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs;
    const { inputShape, ...conv } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
    requireNhwc('Conv2DBackpropInput', conv);
    requireFloat32('Conv2DBackpropInput', dy, filter);
    const info = convInfoOf(inputShape, filter.shape, conv);
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outChannels: co } = info;
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
    const { top, bottom, left, right } = info.padInfo;
    const [dyAt, filterAt] = offsetsOf(backend, dy, filter);
    const singlePhase = sh === 1 && sw === 1;
    if (singlePhase && c % CHANNEL_BLOCK !== 0 && top < kh && bottom < kh && left < kw && right < kw) {
      return withScratch(backend, [kh * kw * c * co], ([flipped]) => {
        context.simd.phaseFilter(filterAt, kw, c, co, 0, 0, 1, 1, kh, kw, heapOffset(backend, flipped));
        const pad: tf.backend_util.ExplicitPadding = [[0, 0], [kh - 1 - top, kh - 1 - bottom], [kw - 1 - left, kw - 1 - right], [0, 0]];
        return runStock(context, 'Conv2D', backend, { x: dy, filter: withShape(flipped, [kh, kw, co, c]) }, {
          strides: [1, 1], pad, dilations: [1, 1], dataFormat: 'NHWC',
        });
      });
    }
    const dx = backend.makeOutput([n, h, w, c], 'float32');
    const dxAt = heapOffset(backend, dx);
    // Phases without taps (a filter smaller than the stride) leave zeros.
    if (!singlePhase) float32View(backend, dx).fill(0);
    for (let ry = 0; ry < sh; ry++) {
      for (let rx = 0; rx < sw; rx++) {
        const taps = [Math.ceil((kh - ry) / sh), Math.ceil((kw - rx) / sw)];
        const first = [Math.ceil((top - ry) / sh), Math.ceil((left - rx) / sw)];
        const size: [number, number] = [Math.ceil((h + top - ry) / sh) - first[0], Math.ceil((w + left - rx) / sw) - first[1]];
        if (taps[0] <= 0 || taps[1] <= 0 || size[0] <= 0 || size[1] <= 0) continue;
        withScratch(backend, [taps[0] * taps[1] * co * c, singlePhase ? 0 : n * size[0] * size[1] * c], ([phaseFilter, part]) => {
          const phaseFilterAt = heapOffset(backend, phaseFilter);
          context.simd.phaseFilter(filterAt, kw, c, co, ry, rx, sh, sw, taps[0], taps[1], phaseFilterAt);
          const phase = {
            at: dyAt, shape: dy.shape, filterAt: phaseFilterAt, filterShape: [taps[0], taps[1], co, c],
            strides: [1, 1] as [number, number], top: taps[0] - 1 - first[0], left: taps[1] - 1 - first[1], outSize: size, biasAt: 0, relu: false,
          };
          if (singlePhase) {
            convolveInto(context, backend, phase, dxAt);
            return;
          }
          const partAt = heapOffset(backend, part);
          convolveInto(context, backend, phase, partAt);
          context.simd.scatterStrided(partAt, n, size[0], size[1], c, dxAt, h, w, sh * first[0] + ry - top, sw * first[1] + rx - left, sh, sw);
        });
      }
    }
    return dx;
  };
}
