/**
 * The training engine: backend choice (tfjs-node > wasm with our training kernels > cpu); the tools
 * that measure it live in bench/lib. After initEngine() on wasm, TF.js trains with SIMD kernels compiled from
 * src/engine/asm (Winograd, direct and depthwise convolutions, their gradients, pooling, batch-norm,
 * ReLU and ReLU6 gradients, zero padding and its gradient) registered into the wasm backend.
 */
export { initEngine, engineInfo, BACKEND_CHOICES, type BackendChoice, type EngineInfo, type EngineOptions } from './backend.ts';
