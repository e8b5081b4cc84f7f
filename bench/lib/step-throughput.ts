import { buildModel, type ModelName } from '../../src/models/index.ts';
import type { StepTimings } from '../../src/train/parallel/index.ts';
import {
  BatchBuilder,
  createOptimizer,
  LocalStepRunner,
  logitsModelOf,
  resolveTrainConfig,
  type ImageSet,
  type LossInputs,
  type StepRunner,
  type StepRunnerContext,
  type TrainConfig,
} from '../../src/train/index.ts';
import { createRng } from '../../src/util/index.ts';

export interface StepThroughputOptions {
  model: ModelName;
  width?: number;
  /** [height, width, channels] of one image. */
  inputShape: [number, number, number];
  numClasses: number;
  batch: number;
  /** Timed steps, after the warm-up steps. */
  steps: number;
  /** Untimed steps first (kernel set-up, heap growth); default 3. */
  warmupSteps?: number;
  optimizer?: TrainConfig['optimizer'];
  seed?: number;
}

export interface StepThroughput {
  imagesPerSecond: number;
  /** Mean wall time of one step. */
  stepMs: number;
  /** The parallel runner's phase times over the timed steps (absent for the in-process runner). */
  timings?: StepTimings;
}

/**
 * Training throughput of a step runner on the current backend, as the trainer drives it: random
 * uint8 images, a fresh random batch of indices every step (batch building included).
 * With no factory it measures the in-process LocalStepRunner.
 */
type MeasuredRunner = StepRunner & { timings?(): StepTimings };

export async function measureStepThroughput(
  createStepRunner: ((context: StepRunnerContext) => Promise<MeasuredRunner>) | null,
  options: StepThroughputOptions,
): Promise<StepThroughput> {
  const { batch, steps, inputShape, numClasses, warmupSteps = 3, seed = 0 } = options;
  const rng = createRng(seed);
  const count = batch * 4;
  const train: ImageSet = {
    images: Uint8Array.from({ length: count * inputShape[0] * inputShape[1] * inputShape[2] }, () => rng.int(256)),
    shape: [count, ...inputShape],
    labels: Int32Array.from({ length: count }, () => rng.int(numClasses)),
  };
  const config = resolveTrainConfig({ model: options.model, width: options.width, batchSize: batch, optimizer: options.optimizer ?? 'adam', learningRate: 1e-3, seed });
  const model = buildModel(config.model, { inputShape, numClasses, width: config.width, seed });
  const logitsModel = logitsModelOf(model);
  const normalisation = { mean: new Array(inputShape[2]).fill(0.5), std: new Array(inputShape[2]).fill(0.25) };
  const loss: LossInputs = { numClasses, classWeights: null, labelSmoothing: 0 };
  const runner: MeasuredRunner = createStepRunner
    ? await createStepRunner({ config, model, logitsModel, train, normalisation, loss })
    : new LocalStepRunner(logitsModel, createOptimizer(config), train, new BatchBuilder(train, normalisation), loss, batch);
  const step = (i: number) => runner.step(Int32Array.from({ length: batch }, () => rng.int(count)), i, 1e-3);
  try {
    for (let i = 0; i < warmupSteps; i++) await step(i);
    const before = runner.timings?.();
    const start = performance.now();
    for (let i = 0; i < steps; i++) await step(warmupSteps + i);
    const ms = performance.now() - start;
    const after = runner.timings?.();
    return { imagesPerSecond: (batch * steps * 1000) / ms, stepMs: ms / steps, timings: before && after ? difference(after, before) : undefined };
  } finally {
    await runner.dispose();
    model.dispose();
  }
}

function difference(after: StepTimings, before: StepTimings): StepTimings {
  return {
    steps: after.steps - before.steps,
    ownPartMs: after.ownPartMs - before.ownPartMs,
    waitMs: after.waitMs - before.waitMs,
    combineMs: after.combineMs - before.combineMs,
    applyMs: after.applyMs - before.applyMs,
  };
}
