import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// Loading tfjs-layers registers TF.js's gradients; it must happen before ours override some of them.
import '@tensorflow/tfjs-layers';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { registerTrainingKernels } from './kernels/index.ts';
import { missingSimdKernels } from './simd.ts';
import { asWasmBackend } from './wasm-heap.ts';

export type BackendChoice = 'auto' | 'tfjs-node' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tfjs-node', 'wasm', 'cpu'];

export interface EngineInfo {
  /** 'tfjs-node', 'wasm' or 'cpu'. */
  backend: string;
  /** Why this backend was chosen (and what was not available). */
  reason: string;
  /** True when the backend can train fast: tfjs-node, or wasm with our training kernels. */
  trainingKernels: boolean;
}

export interface EngineOptions {
  backend?: BackendChoice;
}

/** TF.js's registered name of each backend. */
const TF_BACKEND_NAMES: Record<string, string> = { 'tfjs-node': 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

let current: EngineInfo | null = null;
let queue: Promise<unknown> = Promise.resolve();
let wasmConfigured = false;

/** The backend chosen by the last initEngine, or null before the first one. */
export function engineInfo(): EngineInfo | null {
  return current;
}

/**
 * Chooses and initialises the TF.js backend: tfjs-node when it can be imported, else wasm with the
 * training kernels, else cpu. Idempotent: 'auto' keeps an existing choice; an explicit backend
 * switches to it. Calls are serialised.
 */
export function initEngine(options: EngineOptions = {}): Promise<EngineInfo> {
  const requested = options.backend ?? 'auto';
  if (!BACKEND_CHOICES.includes(requested)) {
    return Promise.reject(new Error(`unknown backend "${String(requested)}"; choose one of: ${BACKEND_CHOICES.join(', ')}`));
  }
  const next = queue.then(() => choose(requested));
  queue = next.catch(() => undefined);
  return next;
}

async function choose(requested: BackendChoice): Promise<EngineInfo> {
  if (current && (requested === 'auto' || requested === current.backend)) {
    const name = TF_BACKEND_NAMES[current.backend];
    if (tf.getBackend() !== name && !(await tf.setBackend(name))) throw new Error(`the ${current.backend} backend failed to re-initialise`);
    return current;
  }
  silenceCpuBanner();
  if (requested === 'tfjs-node' || requested === 'auto') {
    const node = await tryTfjsNode();
    if (node.ok) return settle({ backend: 'tfjs-node', reason: 'native TensorFlow (@tensorflow/tfjs-node)', trainingKernels: true });
    if (requested === 'tfjs-node') throw new Error(`backend tfjs-node unavailable: ${node.why}`);
    return chooseWasm(`@tensorflow/tfjs-node unavailable (${node.why})`, true);
  }
  if (requested === 'wasm') return chooseWasm('requested', false);
  return chooseCpu('requested (slow: for reference and tests)');
}

async function chooseCpu(reason: string): Promise<EngineInfo> {
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to initialise');
  return settle({ backend: 'cpu', reason, trainingKernels: false });
}

/** wasm with the training kernels; without them wasm cannot train, so `preferCpu` then picks cpu. */
async function chooseWasm(context: string, preferCpu: boolean): Promise<EngineInfo> {
  const missing = missingSimdKernels();
  const missingKernels = missing.length === 0 ? null : `${missing.join(', ')} missing: run npm run build:kernels`;
  if (missingKernels && preferCpu) return chooseCpu(`${context}; wasm training kernels not built (${missingKernels}), using the slow cpu backend`);
  if (!(await setWasmBackend())) return chooseCpu(`${context}; the wasm backend failed to initialise, using the slow cpu backend`);
  if (missingKernels) {
    return settle({ backend: 'wasm', reason: `${context}; wasm WITHOUT training kernels (${missingKernels}), so it cannot train`, trainingKernels: false });
  }
  registerTrainingKernels(asWasmBackend(tf.backend()));
  return settle({ backend: 'wasm', reason: `${context}; wasm (XNNPACK, SIMD) with gramlens training kernels, 1 thread`, trainingKernels: true });
}

async function setWasmBackend(): Promise<boolean> {
  if (!wasmConfigured) {
    // The backend's .wasm binaries ship next to its Node bundle; load them from disk, never over the network.
    const bundle = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    setWasmPaths(`${dirname(bundle)}/`);
    setThreadsCount(1);
    wasmConfigured = true;
  }
  try {
    return await tf.setBackend('wasm');
  } catch {
    return false;
  }
}

async function tryTfjsNode(): Promise<{ ok: true } | { ok: false; why: string }> {
  // A variable specifier: the package is optional and not a dependency.
  const specifier = '@tensorflow/tfjs-node';
  try {
    await import(specifier);
  } catch (error) {
    const code = (error as { code?: string }).code;
    return { ok: false, why: code === 'ERR_MODULE_NOT_FOUND' ? 'not installed' : (error as Error).message };
  }
  return (await tf.setBackend('tensorflow')) ? { ok: true } : { ok: false, why: 'its backend failed to initialise' };
}

/** The cpu backend prints a "looks like you are running TensorFlow.js in Node.js" banner on first use. */
function silenceCpuBanner(): void {
  const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (cpu) cpu.firstUse = false;
}

function settle(info: EngineInfo): EngineInfo {
  current = info;
  return info;
}
