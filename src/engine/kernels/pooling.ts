import * as tf from '@tensorflow/tfjs-core';
import { heapOffset } from '../wasm-heap.ts';
import { offsetsOf, requireFloat32, runStock, type KernelContext, type WasmKernelFunc } from './context.ts';

type PoolInfo = tf.backend_util.Conv2DInfo;

function poolInfoOf(xShape: number[], attrs: tf.MaxPoolGradAttrs): PoolInfo {
  return tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode,
  );
}

/** Windows that tile the input without padding (the usual pooling after a convolution). */
function windowsTile(info: PoolInfo): boolean {
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  return fh === sh && fw === sw && info.padInfo.top === 0 && info.padInfo.left === 0 && oh * fh <= info.inHeight && ow * fw <= info.inWidth;
}

/** 2×2 max pooling with stride 2 in one SIMD pass (XNNPACK's is about 3× slower here); other pools: stock. */
export function maxPool(context: KernelContext): WasmKernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs;
    const info = poolInfoOf(x.shape, attrs as unknown as tf.MaxPoolGradAttrs);
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
    if (x.dtype !== 'float32' || info.filterHeight !== 2 || info.filterWidth !== 2 || !windowsTile(info) || c % 4 !== 0) {
      return runStock(context, 'MaxPool', backend, inputs, attrs);
    }
    const [xAt] = offsetsOf(backend, x);
    const out = backend.makeOutput([...info.outShape], 'float32');
    context.simd.maxPool2x2(xAt, n, h, w, c, oh, ow, heapOffset(backend, out));
    return out;
  };
}

/** Max-pool gradient: dy goes to the first maximum of each window (TF.js's rule). */
export function maxPoolGrad(context: KernelContext): WasmKernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs;
    requireFloat32('MaxPoolGrad', dy, input);
    const info = poolInfoOf(input.shape, attrs as unknown as tf.MaxPoolGradAttrs);
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
    const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
    const { top, left } = info.padInfo;
    const [xAt, dyAt] = offsetsOf(backend, input, dy);
    const dx = backend.makeOutput([...input.shape], 'float32');
    const dxAt = heapOffset(backend, dx);
    if (windowsTile(info)) {
      context.simd.maxPoolGradTiled(xAt, dyAt, n, h, w, c, oh, ow, fh, fw, dxAt);
    } else {
      context.simd.maxPoolGradGeneral(xAt, dyAt, n, h, w, c, oh, ow, fh, fw, sh, sw, top, left, dxAt);
    }
    return dx;
  };
}

/** Average-pool gradient, with TF.js's constant 1 / window-area factor (also at padded borders). */
export function avgPoolGrad(context: KernelContext): WasmKernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs;
    requireFloat32('AvgPoolGrad', dy, input);
    const info = poolInfoOf(input.shape, attrs as unknown as tf.MaxPoolGradAttrs);
    const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
    const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
    const [dyAt] = offsetsOf(backend, dy);
    const dx = backend.makeOutput([...input.shape], 'float32');
    context.simd.avgPoolGrad(dyAt, n, h, w, c, oh, ow, fh, fw, sh, sw, info.padInfo.top, info.padInfo.left, 1 / (fh * fw), heapOffset(backend, dx));
    return dx;
  };
}
