import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';
import { loadSimdKernels } from '../simd.ts';
import type { WasmBackend } from '../wasm-heap.ts';
import { createKernelContext, WASM, type KernelContext, type WasmKernelFunc } from './context.ts';
import {
  BATCH_NORM_TRAINING,
  BATCH_NORM_TRAINING_GRAD,
  batchNormTraining,
  batchNormTrainingGrad,
  batchNormTrainingGradConfig,
  createBatchNorm,
  createMoments,
  MOMENTS,
  moments,
  momentsGradConfig,
} from './batch-norm.ts';
import { clipByValueGradConfig, RANGE_GRAD, rangeGrad, relu6GradConfig } from './clip.ts';
import { conv2D, conv2DBackpropFilter, conv2DBackpropInput, fusedConv2D } from './conv.ts';
import { depthwiseConv2dNative, depthwiseConv2dNativeBackpropFilter, depthwiseConv2dNativeBackpropInput } from './depthwise.ts';
import { createFusedConv2d, fusedConv2DGradConfig } from './fused-conv.ts';
import { batchMatMul, fusedMatMul } from './matmul.ts';
import { padV2, slice } from './padding.ts';
import { avgPoolGrad, maxPool, maxPoolGrad } from './pooling.ts';
import { mean, sum } from './reduce.ts';
import { RELU_GRAD, reluGrad, reluGradConfig } from './relu.ts';
import { cast, identity } from './sharing.ts';

/** Kernels we add to or replace in the wasm backend, by kernel name. */
const WASM_KERNELS: Record<string, (context: KernelContext) => WasmKernelFunc> = {
  [tf.Conv2D]: conv2D,
  [tf.FusedConv2D]: fusedConv2D,
  [tf.Conv2DBackpropFilter]: conv2DBackpropFilter,
  [tf.Conv2DBackpropInput]: conv2DBackpropInput,
  [tf.DepthwiseConv2dNative]: depthwiseConv2dNative,
  [tf.DepthwiseConv2dNativeBackpropFilter]: depthwiseConv2dNativeBackpropFilter,
  [tf.DepthwiseConv2dNativeBackpropInput]: depthwiseConv2dNativeBackpropInput,
  [tf.MaxPool]: maxPool,
  [tf.MaxPoolGrad]: maxPoolGrad,
  [tf.AvgPoolGrad]: avgPoolGrad,
  [tf.Sum]: sum,
  [tf.Mean]: mean,
  [tf.BatchMatMul]: batchMatMul,
  [tf._FusedMatMul]: fusedMatMul,
  [tf.Identity]: identity,
  [tf.Cast]: cast,
  [tf.PadV2]: padV2,
  [tf.Slice]: slice,
  [RELU_GRAD]: reluGrad,
  [RANGE_GRAD]: rangeGrad,
  [MOMENTS]: moments,
  [BATCH_NORM_TRAINING]: batchNormTraining,
  [BATCH_NORM_TRAINING_GRAD]: batchNormTrainingGrad,
};

/**
 * Ops replaced in tfjs-core's exports object, which tfjs-layers reads on every call. (ES-module
 * imports of tfjs-core bind the originals, which stay correct, only slower.)
 */
function replaceCoreOps(): void {
  const core = createRequire(import.meta.url)('@tensorflow/tfjs-core') as Record<string, unknown>;
  core.moments = createMoments(core.moments as typeof tf.moments);
  for (const name of ['batchNorm', 'batchNorm2d', 'batchNorm3d', 'batchNorm4d']) {
    core[name] = createBatchNorm(core[name] as Parameters<typeof createBatchNorm>[0]);
  }
  const fused = core.fused as { conv2d: typeof tf.fused.conv2d };
  fused.conv2d = createFusedConv2d(fused.conv2d);
}

let registered = false;

/**
 * Registers the training kernels on the (initialised) wasm backend, the gradients that use them, and
 * the replaced ops (fused convolution, batch statistics and normalisation). The gradients and ops
 * keep TF.js's behaviour on other backends.
 */
export function registerTrainingKernels(backend: WasmBackend): void {
  if (registered) return;
  const context = createKernelContext(loadSimdKernels(backend.wasm.asm.memory));
  for (const [kernelName, create] of Object.entries(WASM_KERNELS)) {
    const stock = tf.getKernel(kernelName, WASM);
    if (stock) context.stock(kernelName);
    const kernelFunc = create(context) as unknown as tf.KernelFunc;
    if (stock) tf.unregisterKernel(kernelName, WASM);
    tf.registerKernel({ kernelName, backendName: WASM, setupFunc: stock?.setupFunc, kernelFunc });
  }
  for (const gradient of [reluGradConfig, clipByValueGradConfig, relu6GradConfig, fusedConv2DGradConfig, momentsGradConfig, batchNormTrainingGradConfig]) {
    tf.registerGradient(gradient);
  }
  replaceCoreOps();
  registered = true;
}
