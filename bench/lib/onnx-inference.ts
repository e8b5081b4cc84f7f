import * as tf from '@tensorflow/tfjs-core';
import { availableParallelism } from 'node:os';
import { exportToOnnx, OnnxClassifier } from '../../src/engine/onnx/index.ts';
import { seedCnn, type ModelSpec } from '../../src/models/index.ts';
import { createRng } from '../../src/util/index.ts';

export type InferenceEngine = 'onnxruntime' | 'tfjs-wasm' | 'tfjs-cpu';
export const INFERENCE_ENGINES: readonly InferenceEngine[] = ['onnxruntime', 'tfjs-wasm', 'tfjs-cpu'];

export interface InferenceMeasurementOptions {
  /** Default [64, 64, 3]. */
  inputShape?: [number, number, number];
  /** Default 32. */
  batchSize?: number;
  /** Timed rounds; each round takes one sample of every engine, in turn. Default 7. */
  rounds?: number;
  /** A sample repeats whole batches until at least this long. Default 250 ms. */
  sampleMillis?: number;
  /** onnxruntime intra-op threads. Default: all cores. */
  onnxThreads?: number;
  engines?: readonly InferenceEngine[];
  seed?: number;
}

export interface EngineThroughput {
  engine: InferenceEngine;
  /** Median over rounds. */
  imagesPerSecond: number;
  /** One value per round, in round order. */
  samples: number[];
}

export interface InferenceMeasurement {
  model: 'seed-cnn';
  inputShape: [number, number, number];
  batchSize: number;
  rounds: number;
  onnxThreads: number;
  /** Threads of the stock tfjs wasm backend, when measured. */
  wasmThreads?: number;
  results: EngineThroughput[];
  /** onnxruntime images/s over tfjs-wasm images/s (medians), when both were measured. */
  onnxSpeedupOverWasm?: number;
}

interface Runner {
  engine: InferenceEngine;
  activate(): Promise<void>;
  runBatch(): Promise<void>;
  dispose(): Promise<void>;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function tfjsRunner(engine: 'tfjs-wasm' | 'tfjs-cpu', spec: ModelSpec, input: Float32Array, batchSize: number): Promise<Runner> {
  const backend = engine === 'tfjs-wasm' ? 'wasm' : 'cpu';
  if (!(await tf.setBackend(backend))) throw new Error(`the TF.js ${backend} backend failed to initialise`);
  // Built while its backend is active, so its weights live there and never move between backends.
  const model = seedCnn(spec);
  const x = tf.tensor4d(input, [batchSize, ...spec.inputShape]);
  return {
    engine,
    activate: async () => {
      await tf.setBackend(backend);
    },
    runBatch: async () => {
      const y = model.predict(x) as tf.Tensor;
      await y.data();
      y.dispose();
    },
    dispose: async () => {
      x.dispose();
      model.dispose();
    },
  };
}

async function onnxRunner(spec: ModelSpec, input: Float32Array, batchSize: number, threads: number): Promise<Runner> {
  const model = seedCnn(spec);
  const bytes = exportToOnnx(model);
  model.dispose();
  const classifier = await OnnxClassifier.load(bytes, { threads });
  return {
    engine: 'onnxruntime',
    activate: async () => {},
    runBatch: async () => {
      await classifier.run(input, batchSize);
    },
    dispose: () => classifier.dispose(),
  };
}

async function sampleImagesPerSecond(runner: Runner, batchSize: number, sampleMillis: number): Promise<number> {
  await runner.activate();
  let batches = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    await runner.runBatch();
    batches++;
    elapsed = performance.now() - start;
  } while (elapsed < sampleMillis);
  return (batches * batchSize * 1000) / elapsed;
}

/**
 * Inference throughput of the seed CNN through onnxruntime-node and through stock TF.js (wasm and
 * cpu backends), interleaved round by round so that machine noise hits every engine alike.
 */
export async function measureOnnxInference(options: InferenceMeasurementOptions = {}): Promise<InferenceMeasurement> {
  const inputShape = options.inputShape ?? [64, 64, 3];
  const batchSize = options.batchSize ?? 32;
  const rounds = options.rounds ?? 7;
  const sampleMillis = options.sampleMillis ?? 250;
  const onnxThreads = options.onnxThreads ?? availableParallelism();
  const engines = options.engines ?? INFERENCE_ENGINES;
  const seed = options.seed ?? 1;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`rounds must be a positive integer, got ${rounds}`);

  const previousBackend: string | null = tf.engine().backendName;
  // Registered only here: importing the wasm backend raises it above cpu as TF.js's default backend.
  await import('@tensorflow/tfjs-backend-cpu');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('cpu');

  const spec: ModelSpec = { inputShape, numClasses: 4, seed };
  const rng = createRng(seed);
  const input = Float32Array.from({ length: batchSize * inputShape[0] * inputShape[1] * inputShape[2] }, () => rng.next());
  const runners: Runner[] = [];
  try {
    for (const engine of engines) {
      runners.push(engine === 'onnxruntime' ? await onnxRunner(spec, input, batchSize, onnxThreads) : await tfjsRunner(engine, spec, input, batchSize));
    }
    for (const runner of runners) {
      await runner.activate();
      await runner.runBatch();
      await runner.runBatch();
    }
    const samples = runners.map((): number[] => []);
    for (let round = 0; round < rounds; round++) {
      for (const [i, runner] of runners.entries()) samples[i].push(await sampleImagesPerSecond(runner, batchSize, sampleMillis));
    }
    const results = runners.map((runner, i) => ({ engine: runner.engine, imagesPerSecond: median(samples[i]), samples: samples[i] }));
    const throughputOf = (engine: InferenceEngine) => results.find((r) => r.engine === engine)?.imagesPerSecond;
    const onnx = throughputOf('onnxruntime');
    const wasmThroughput = throughputOf('tfjs-wasm');
    return {
      model: 'seed-cnn',
      inputShape,
      batchSize,
      rounds,
      onnxThreads,
      ...(engines.includes('tfjs-wasm') ? { wasmThreads: wasm.getThreadsCount() } : {}),
      results,
      ...(onnx !== undefined && wasmThroughput !== undefined ? { onnxSpeedupOverWasm: onnx / wasmThroughput } : {}),
    };
  } finally {
    for (const runner of runners) await runner.dispose();
    if (previousBackend) await tf.setBackend(previousBackend);
  }
}
