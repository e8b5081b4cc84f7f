import type * as tf from '@tensorflow/tfjs-core';
import { heapOffset, withScratch, type WasmBackend } from '../wasm-heap.ts';
import type { KernelContext } from './context.ts';

/** The direct kernels compute 8 output channels at a time (the rest: a scalar tail). */
export const CHANNEL_BLOCK = 8;
/** Winograd F(2×2, 3×3) pays off from this many input channels (and needs c % 4 = 0). */
const WINOGRAD_MIN_CHANNELS = 8;
/** Bytes of transformed tiles a Winograd block may hold (they stay in L2 between the steps). */
const WINOGRAD_BLOCK_BYTES = 256 * 1024;
/** Extra floats the Winograd kernels need in their block buffer (skew between planes). */
const WINOGRAD_SKEW_FLOATS = 512;

export interface PaddedInput {
  at: number;
  height: number;
  width: number;
}

/**
 * Runs `body` with the images [n, h, w, c] at `at` placed at (top, left) of zero images
 * [n, height, width, c] (cropped if they do not fit; no copy when nothing changes).
 */
export function withPadded<T>(
  context: KernelContext, backend: WasmBackend, at: number, [n, h, w, c]: number[], top: number, left: number,
  height: number, width: number, body: (padded: PaddedInput) => T,
): T {
  if (top === 0 && left === 0 && height === h && width === w) return body({ at, height, width });
  return withScratch(backend, [n * height * width * c], ([padded]) => {
    const paddedAt = heapOffset(backend, padded);
    context.simd.padImages(at, n, h, w, c, top, left, height, width, paddedAt);
    return body({ at: paddedAt, height, width });
  });
}

export interface WinogradPlan {
  /** Padded input size: whole 2×2 output tiles, so one more zero row / column when the output is odd. */
  rows: number;
  cols: number;
  blockTiles: number;
  blockFloats: number;
}

/** How to run a convolution with Winograd F(2×2, 3×3), or null when it does not apply or pay off. */
export function winogradPlan(c: number, co: number, [kh, kw]: number[], [sh, sw]: number[], [oh, ow]: number[]): WinogradPlan | null {
  if (kh !== 3 || kw !== 3 || sh !== 1 || sw !== 1 || c % 4 !== 0 || c < WINOGRAD_MIN_CHANNELS || co % CHANNEL_BLOCK !== 0) return null;
  const blockTiles = Math.max(8, Math.min(64, Math.floor(WINOGRAD_BLOCK_BYTES / (64 * (c + co))) & ~3));
  return {
    rows: 2 * Math.ceil(oh / 2) + 2,
    cols: 2 * Math.ceil(ow / 2) + 2,
    blockTiles,
    blockFloats: blockTiles * 16 * (c + co) + WINOGRAD_SKEW_FLOATS,
  };
}

export interface Convolution {
  /** Images [n, h, w, c] on the heap. */
  at: number;
  shape: number[];
  /** Filter [kh, kw, c, co] on the heap. */
  filterAt: number;
  filterShape: number[];
  strides: [number, number];
  /** Where the images sit in the zero-padded input (negative: cropped). */
  top: number;
  left: number;
  outSize: [number, number];
  /** Bias [co] on the heap, or 0. */
  biasAt: number;
  relu: boolean;
}

/**
 * A convolution on our kernels into `outAt` [n, oh, ow, co]: Winograd for 3×3 stride 1 with enough
 * channels (~35% faster), else the direct tiled kernel.
 */
export function convolveInto(context: KernelContext, backend: WasmBackend, conv: Convolution, outAt: number): void {
  const [n, , , c] = conv.shape;
  const [kh, kw, , co] = conv.filterShape;
  const [sh, sw] = conv.strides;
  const [oh, ow] = conv.outSize;
  const winograd = winogradPlan(c, co, [kh, kw], [sh, sw], [oh, ow]);
  if (!winograd) {
    withPadded(context, backend, conv.at, conv.shape, conv.top, conv.left, (oh - 1) * sh + kh, (ow - 1) * sw + kw, (padded) =>
      context.simd.conv2dForward(padded.at, n, padded.height, padded.width, c, conv.filterAt, kh, kw, co, sh, sw, oh, ow, conv.biasAt, conv.relu, outAt),
    );
    return;
  }
  withScratch(backend, [16 * c * co, winograd.blockFloats], ([transformed, blocks]) => {
    const transformedAt = heapOffset(backend, transformed);
    context.simd.winogradFilterTransform(conv.filterAt, c, co, transformedAt);
    withPadded(context, backend, conv.at, conv.shape, conv.top, conv.left, winograd.rows, winograd.cols, (padded) =>
      context.simd.winogradConv3x3(
        padded.at, n, padded.height, padded.width, c, transformedAt, co, oh, ow, conv.biasAt, conv.relu, outAt, winograd.blockTiles, heapOffset(backend, blocks),
      ),
    );
  });
}

export function convolve(context: KernelContext, backend: WasmBackend, conv: Convolution): tf.TensorInfo {
  const out = backend.makeOutput([conv.shape[0], ...conv.outSize, conv.filterShape[3]], 'float32');
  convolveInto(context, backend, conv, heapOffset(backend, out));
  return out;
}
