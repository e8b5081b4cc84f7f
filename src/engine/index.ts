/**
 * The training engine: backend choice (tfjs-node > wasm with our training kernels > cpu) and tools to
 * measure it. After initEngine() on wasm, TF.js trains with SIMD kernels compiled from
 * src/engine/asm (Winograd, direct and depthwise convolutions, their gradients, pooling, batch-norm,
 * ReLU and ReLU6 gradients, zero padding and its gradient) registered into the wasm backend.
 */
export { initEngine, engineInfo, BACKEND_CHOICES, type BackendChoice, type EngineInfo, type EngineOptions } from './backend.ts';
export { measureTrainThroughput, type ThroughputOptions } from './measure.ts';
export { profileKernels, type KernelTiming } from './profile.ts';
