import * as tf from '@tensorflow/tfjs-core';
import { heapOffset } from '../wasm-heap.ts';
import { offsetsOf, requireFloat32, runStock, type KernelContext, type WasmKernelFunc } from './context.ts';

type DepthwiseAttrs = Pick<tf.DepthwiseConv2dNativeAttrs, 'strides' | 'pad' | 'dilations' | 'dimRoundingMode'>;

function depthwiseInfo(xShape: readonly number[], filterShape: readonly number[], attrs: DepthwiseAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, true,
  );
}

/** What our kernels do not cover (a channel multiplier or dilation above 1), or null. */
function limitation(info: tf.backend_util.Conv2DInfo): string | null {
  const multiplier = info.outChannels / info.inChannels;
  if (multiplier !== 1) return `channel multiplier ${multiplier}`;
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return `dilations [${info.dilationHeight}, ${info.dilationWidth}]`;
  return null;
}

function requireSupported(kernelName: string, info: tf.backend_util.Conv2DInfo): void {
  const why = limitation(info);
  if (why) throw new Error(`${kernelName} on wasm supports channel multiplier 1 and dilation 1 only, got ${why}; train this model on the cpu backend`);
}

/** The sizes the depthwise kernels take. */
function sizesOf(info: tf.backend_util.Conv2DInfo) {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  return { n, h, w, c, oh, ow, kh, kw, sh, sw, top: info.padInfo.top, left: info.padInfo.left };
}

/**
 * Depthwise convolution with channel multiplier 1 on our kernel (padding handled per pixel, no padded
 * copy); other multipliers and dilations go to the stock (XNNPACK) kernel.
 */
export function depthwiseConv2dNative(context: KernelContext): WasmKernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, filter } = inputs;
    const info = depthwiseInfo(x.shape, filter.shape, attrs as unknown as DepthwiseAttrs);
    if (x.dtype !== 'float32' || filter.dtype !== 'float32' || limitation(info)) return runStock(context, tf.DepthwiseConv2dNative, backend, inputs, attrs);
    const [xAt, filterAt] = offsetsOf(backend, x, filter);
    const out = backend.makeOutput([...info.outShape], 'float32');
    const { n, h, w, c, oh, ow, kh, kw, sh, sw, top, left } = sizesOf(info);
    context.simd.depthwiseForward(xAt, n, h, w, c, filterAt, kh, kw, sh, sw, top, left, oh, ow, heapOffset(backend, out));
    return out;
  };
}

/** Input gradient of the depthwise convolution (the wasm backend has none). */
export function depthwiseConv2dNativeBackpropInput(context: KernelContext): WasmKernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs;
    const { inputShape, ...conv } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
    requireFloat32(tf.DepthwiseConv2dNativeBackpropInput, dy, filter);
    const info = depthwiseInfo(inputShape, filter.shape, conv);
    requireSupported(tf.DepthwiseConv2dNativeBackpropInput, info);
    const [dyAt, filterAt] = offsetsOf(backend, dy, filter);
    const dx = backend.makeOutput([...inputShape], 'float32');
    const { n, h, w, c, oh, ow, kh, kw, sh, sw, top, left } = sizesOf(info);
    context.simd.depthwiseInputGrad(dyAt, n, oh, ow, c, filterAt, kh, kw, sh, sw, top, left, h, w, heapOffset(backend, dx));
    return dx;
  };
}

/** Filter gradient of the depthwise convolution (the wasm backend has none). */
export function depthwiseConv2dNativeBackpropFilter(context: KernelContext): WasmKernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs;
    const { filterShape, ...conv } = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
    requireFloat32(tf.DepthwiseConv2dNativeBackpropFilter, x, dy);
    const info = depthwiseInfo(x.shape, filterShape, conv);
    requireSupported(tf.DepthwiseConv2dNativeBackpropFilter, info);
    const [xAt, dyAt] = offsetsOf(backend, x, dy);
    const dFilter = backend.makeOutput([...filterShape], 'float32');
    const { n, h, w, c, oh, ow, kh, kw, sh, sw, top, left } = sizesOf(info);
    context.simd.depthwiseFilterGrad(xAt, n, h, w, c, dyAt, oh, ow, kh, kw, sh, sw, top, left, heapOffset(backend, dFilter));
    return dFilter;
  };
}
