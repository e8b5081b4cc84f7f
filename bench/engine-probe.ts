// One measurement in a fresh process (so that stock TF.js is not touched by our kernels), printed
// as one JSON line. Run by bench/engine.ts; usage: engine-probe.ts MODE MODEL [WORKERS] [SIZE]
//   MODE: train (our engine: initEngine + the trainer's step runner), infer-stock-wasm, infer-ort
//   SIZE: input height and width (default 64). A backbone trains with every layer and batch-norm
//   statistics trainable (no frozen groups), as PyTorch's reference does.
import * as tf from '@tensorflow/tfjs-core';
import { buildModel, type ModelName } from '../src/models/index.ts';
import { createRng } from '../src/util/index.ts';

const [mode, modelName, workersArg, sizeArg] = process.argv.slice(2) as [string, ModelName, string?, string?];
const BATCH = 32;
const SIZE = Number(sizeArg ?? 64);
/** Large inputs take seconds per step: fewer warm-up steps, a longer timing, a smaller set in memory. */
const LARGE = SIZE > 64;
const CLASSES = 9;
const workers = Number(workersArg ?? 1);
const spec = { inputShape: [SIZE, SIZE, 3] as [number, number, number], numClasses: CLASSES, seed: 1 };

function randomSet(count: number) {
  const rng = createRng(3);
  const images = new Float32Array(count * SIZE * SIZE * 3).map(() => rng.next());
  const labels = Int32Array.from({ length: count }, () => rng.int(CLASSES));
  return { images, shape: [count, SIZE, SIZE, 3] as [number, number, number, number], labels };
}

/** Images per second over a time budget, after warm-up calls. */
async function throughput(run: () => Promise<void>, imagesPerCall: number, { warmup = LARGE ? 1 : 3, millis = LARGE ? 20_000 : 4000 } = {}): Promise<number> {
  for (let i = 0; i < warmup; i++) await run();
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < millis) {
    await run();
    calls++;
  }
  return (calls * imagesPerCall * 1000) / (performance.now() - start);
}

async function train(): Promise<Record<string, unknown>> {
  const { initEngine } = await import('../src/engine/index.ts');
  const { BatchBuilder, LocalStepRunner, createOptimizer, logitsModelOf, resolveTrainConfig } = await import('../src/train/index.ts');
  const info = await initEngine();
  const config = resolveTrainConfig({ model: modelName, batchSize: BATCH, optimizer: 'adam', sampling: 'none', freezeEpochs: 0, frozenGroups: 0, batchNorm: 'batch', layerRateRatio: 1 });
  const set = randomSet(BATCH * (LARGE ? 2 : 8));
  const model = buildModel(modelName, spec);
  const logitsModel = logitsModelOf(model);
  const normalisation = { mean: [0.5, 0.5, 0.5], std: [0.29, 0.29, 0.29] };
  const loss = { numClasses: CLASSES, classWeights: null, labelSmoothing: 0 };
  let runner;
  if (workers > 1) {
    const { createParallelStepRunner } = await import('../src/train/parallel/index.ts');
    runner = await createParallelStepRunner({ workers })({ config, model, logitsModel, train: set, normalisation, loss });
  } else {
    runner = new LocalStepRunner(logitsModel, createOptimizer(config), set, new BatchBuilder(set, normalisation), loss, BATCH);
  }
  let step = 0;
  const indices = Int32Array.from({ length: BATCH }, (_, i) => i);
  const imgPerSecond = await throughput(async () => {
    indices.forEach((_, i) => (indices[i] = (step * BATCH + i) % set.labels.length));
    await runner.step(indices, step++, 1e-3);
  }, BATCH);
  await runner.dispose();
  return { backend: info.backend, reason: info.reason, img_s: imgPerSecond };
}

async function inferStockWasm(): Promise<Record<string, unknown>> {
  await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend('wasm'))) throw new Error('the stock wasm backend failed to initialise');
  const model = buildModel(modelName, spec);
  const x = tf.tensor4d(randomSet(BATCH).images, [BATCH, SIZE, SIZE, 3]);
  const imgPerSecond = await throughput(async () => {
    const y = model.predict(x) as tf.Tensor;
    await y.data();
    y.dispose();
  }, BATCH);
  return { backend: 'wasm (stock TF.js)', img_s: imgPerSecond };
}

async function inferOrt(): Promise<Record<string, unknown>> {
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  const { exportToOnnx, OnnxClassifier } = await import('../src/engine/onnx/index.ts');
  const classifier = await OnnxClassifier.load(exportToOnnx(buildModel(modelName, spec)));
  const input = randomSet(BATCH).images;
  const imgPerSecond = await throughput(async () => {
    await classifier.run(input, BATCH);
  }, BATCH);
  await classifier.dispose();
  return { backend: 'onnxruntime-node (cpu)', img_s: imgPerSecond };
}

const modes: Record<string, () => Promise<Record<string, unknown>>> = { train, 'infer-stock-wasm': inferStockWasm, 'infer-ort': inferOrt };
if (!modes[mode]) throw new Error(`unknown mode ${mode}; use ${Object.keys(modes).join(', ')}`);
process.stdout.write(`${JSON.stringify({ mode, model: modelName, workers, ...(await modes[mode]()) })}\n`);
