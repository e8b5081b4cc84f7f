import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, parameterGroupsOf, registerModel, serializeModelWeights, type ModelSpec } from '../../src/models/index.ts';
import { createParallelStepRunner } from '../../src/train/parallel/index.ts';
import {
  BatchBuilder,
  createOptimizer,
  discriminativeRates,
  fineTuneStepAt,
  GroupedOptimizer,
  LocalStepRunner,
  logitsModelOf,
  resolveTrainConfig,
  trainClassifier,
  type LossInputs,
  type TrainCallback,
} from '../../src/train/index.ts';
import { toyImageSet } from './fixtures/toy-data.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * A stand-in for a pretrained model: conv + BN (group 0), the conv 'features' (group 1), GAP, dense
 * 'logits' (group 2). Without BN, a batch split over threads has the gradient of the whole batch.
 */
function tinyPretrained(spec: ModelSpec, batchNorm = true): tfl.LayersModel {
  const seed = spec.seed ?? 1;
  const input = tfl.input({ shape: spec.inputShape });
  let x = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: tfl.initializers.heNormal({ seed }), name: 'early' }).apply(input) as tfl.SymbolicTensor;
  if (batchNorm) x = tfl.layers.batchNormalization({ momentum: 0.9, name: 'early_bn' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed: seed + 1 }), name: 'features' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dense({ units: spec.numClasses, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 2 }), name: 'logits' }).apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers.activation({ activation: 'softmax', name: 'probabilities' }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out });
}

const GROUP_OF: Record<string, number> = { early: 0, early_bn: 0, features: 1, logits: 2 };
const fineTune = { groups: 3, groupOf: (name: string) => GROUP_OF[name] ?? 2, freezeEpochs: 1, layerRateRatio: 100, batchNorm: 'batch' as const, inputSize: 8 };
registerModel('tiny-pretrained', { build: (spec) => tinyPretrained(spec), description: 'test stand-in for a pretrained backbone', fixedWidth: true, fineTune });
registerModel('tiny-pretrained-plain', { build: (spec) => tinyPretrained(spec, false), description: 'the same without batch norm', fixedWidth: true, fineTune });

const loss: LossInputs = { numClasses: 4, classWeights: null, labelSmoothing: 0 };
const normalisation = { mean: [0.5], std: [0.25] };

/** The model's weights by name, as plain arrays. */
function weightsByName(model: tfl.LayersModel): Map<string, Float32Array> {
  const { entries, data } = serializeModelWeights(model);
  let offset = 0;
  return new Map(
    entries.map(({ name, shape }) => {
      const size = shape.reduce((a, b) => a * b, 1);
      offset += size;
      return [name, data.slice(offset - size, offset)];
    }),
  );
}

const changed = (before: Map<string, Float32Array>, after: Map<string, Float32Array>, name: string) => before.get(name)!.some((v, i) => v !== after.get(name)![i]);

describe('fine-tuning schedule', () => {
  it('spaces the discriminative rates geometrically from 1/ratio for the earliest group to 1 for the head', () => {
    expect(discriminativeRates(3, 100).map((r) => Number(r.toPrecision(12)))).toEqual([0.01, 0.1, 1]);
    expect(discriminativeRates(2, 10)).toEqual([0.1, 1]);
    expect(discriminativeRates(1, 10)).toEqual([1]);
  });

  it('trains only the head for freezeEpochs, then every group, the schedule restarting at the unfreeze', () => {
    const config = { learningRate: 0.01, schedule: 'cosine' as const, warmupEpochs: 1, freezeEpochs: 2, layerRateRatio: 100 };
    // 4 steps per epoch, 10 epochs: 8 frozen steps, then 32.
    const at = (step: number) => fineTuneStepAt(config, 3, step, 4, 40);
    expect(at(0)).toEqual({ learningRate: 0.0025, groupRates: [0, 0, 1] });
    expect(at(3).learningRate).toBeCloseTo(0.01, 12);
    expect(at(7).groupRates).toEqual([0, 0, 1]);
    expect(at(8).learningRate).toBeCloseTo(0.0025, 12);
    expect(at(8).groupRates.map((r) => Number(r.toPrecision(12)))).toEqual([0.01, 0.1, 1]);
    expect(at(11).learningRate).toBeCloseTo(0.01, 12);
    expect(at(39).learningRate).toBeLessThan(0.0002);
  });

  it('keeps the first frozenGroups at rate 0 after the unfreeze, the others at their discriminative rates', () => {
    const config = { learningRate: 0.01, schedule: 'cosine' as const, warmupEpochs: 1, freezeEpochs: 2, layerRateRatio: 100, frozenGroups: 1 };
    const at = (step: number) => fineTuneStepAt(config, 3, step, 4, 40);
    expect(at(0).groupRates).toEqual([0, 0, 1]);
    expect(at(8).groupRates.map((r) => Number(r.toPrecision(12)))).toEqual([0, 0.1, 1]);
    expect(at(39).groupRates.map((r) => Number(r.toPrecision(12)))).toEqual([0, 0.1, 1]);
  });

  it('takes the recipe of a pretrained model as defaults and refuses fine-tuning settings for a model trained from scratch', () => {
    expect(resolveTrainConfig({ model: 'tiny-pretrained' })).toMatchObject({ freezeEpochs: 1, layerRateRatio: 100 });
    expect(resolveTrainConfig({ model: 'tiny-pretrained', freezeEpochs: 0 }).freezeEpochs).toBe(0);
    expect(resolveTrainConfig({ model: 'seed-cnn' })).toMatchObject({ freezeEpochs: 0, layerRateRatio: 1 });
    expect(() => resolveTrainConfig({ model: 'seed-cnn', freezeEpochs: 2 })).toThrow('freezeEpochs, layerRateRatio and frozenGroups fine-tune a pretrained model; "seed-cnn" trains from scratch');
    expect(() => resolveTrainConfig({ model: 'tiny-pretrained', layerRateRatio: 0.5 })).toThrow('layerRateRatio must be ≥ 1');
    expect(() => resolveTrainConfig({ model: 'seed-cnn', frozenGroups: 1 })).toThrow('frozenGroups fine-tune a pretrained model');
    expect(() => resolveTrainConfig({ model: 'tiny-pretrained', frozenGroups: 3 })).toThrow('frozenGroups must be below 3, the parameter groups of "tiny-pretrained"');
    expect(resolveTrainConfig({ model: 'tiny-pretrained', frozenGroups: 2 }).frozenGroups).toBe(2);
  });
});

describe('training a pretrained model in parameter groups', () => {
  const config = { model: 'tiny-pretrained', batchSize: 8, learningRate: 0.01, epochs: 2, patience: 0, seed: 4 };
  const train = () => toyImageSet(16, 4, 1);
  const validation = () => toyImageSet(8, 4, 2);

  it('leaves the pretrained groups untouched while frozen (their batch-norm statistics still follow the data) and trains them after', async () => {
    const initial = weightsByName(buildModel('tiny-pretrained', { inputShape: [8, 8, 1], numClasses: 4, seed: 4 }));
    const frozen = await trainClassifier(train(), validation(), { ...config, freezeEpochs: 2 }, { numClasses: 4 });
    const afterFrozen = weightsByName(frozen.model);
    for (const name of ['early/kernel', 'early_bn/gamma', 'early_bn/beta', 'features/kernel', 'features/bias']) expect(changed(initial, afterFrozen, name), name).toBe(false);
    expect(changed(initial, afterFrozen, 'logits/kernel')).toBe(true);
    expect(changed(initial, afterFrozen, 'early_bn/moving_mean')).toBe(true);

    const unfrozen = await trainClassifier(train(), validation(), { ...config, freezeEpochs: 1 }, { numClasses: 4 });
    const afterUnfrozen = weightsByName(unfrozen.model);
    for (const name of ['early/kernel', 'early_bn/gamma', 'features/kernel', 'logits/kernel']) expect(changed(initial, afterUnfrozen, name), name).toBe(true);
    frozen.model.dispose();
    unfrozen.model.dispose();
  });

  it('never trains the first frozenGroups, before or after the unfreeze, and trains the others', async () => {
    const initial = weightsByName(buildModel('tiny-pretrained', { inputShape: [8, 8, 1], numClasses: 4, seed: 4 }));
    const result = await trainClassifier(train(), validation(), { ...config, epochs: 3, freezeEpochs: 1, frozenGroups: 1, batchNorm: 'frozen' }, { numClasses: 4 });
    const after = weightsByName(result.model);
    for (const name of ['early/kernel', 'early_bn/gamma', 'early_bn/beta']) expect(changed(initial, after, name), name).toBe(false);
    for (const name of ['features/kernel', 'logits/kernel']) expect(changed(initial, after, name), name).toBe(true);
    result.model.dispose();
  });

  it("with batchNorm 'frozen', normalises with the stored statistics and keeps them while their scale and shift train", async () => {
    const initial = weightsByName(buildModel('tiny-pretrained', { inputShape: [8, 8, 1], numClasses: 4, seed: 4 }));
    const result = await trainClassifier(train(), validation(), { ...config, freezeEpochs: 1, batchNorm: 'frozen' }, { numClasses: 4 });
    const after = weightsByName(result.model);
    expect(changed(initial, after, 'early_bn/moving_mean')).toBe(false);
    expect(changed(initial, after, 'early_bn/moving_variance')).toBe(false);
    expect(changed(initial, after, 'early_bn/gamma')).toBe(true);
    result.model.dispose();
  });

  it('resumes a run cancelled after the unfreeze exactly where it stopped, every group\'s optimizer state included', async () => {
    const settings = { ...config, epochs: 4, freezeEpochs: 1 };
    const straight = await trainClassifier(train(), validation(), settings, { numClasses: 4 });
    const runDir = await mkdtemp(join(tmpdir(), 'gl-fine-tune-'));
    const controller = new AbortController();
    // Two steps per epoch: cancel after step 5, in the third epoch, two epochs after the unfreeze.
    const stopper: TrainCallback = { onStepEnd: (loop) => void (loop.state.globalStep === 5 && controller.abort()) };
    const cancelled = await trainClassifier(train(), validation(), settings, { numClasses: 4, runDir, signal: controller.signal, callbacks: [stopper] });
    expect(cancelled.status).toBe('cancelled');
    const resumed = await trainClassifier(train(), validation(), settings, { numClasses: 4, runDir, resume: true });
    expect(resumed.history.map((h) => h.valLoss)).toEqual(straight.history.map((h) => h.valLoss));
    expect(Array.from(serializeModelWeights(resumed.model).data)).toEqual(Array.from(serializeModelWeights(straight.model).data));
    [straight, cancelled, resumed].forEach((result) => result.model.dispose());
  });

  it('does not differentiate a frozen trunk: no convolution gradient is computed while only the head trains', async () => {
    const set = train();
    const model = buildModel('tiny-pretrained', { inputShape: [8, 8, 1], numClasses: 4, seed: 4 });
    const logitsModel = logitsModelOf(model);
    const optimizer = GroupedOptimizer.forModel(logitsModel, () => createOptimizer(resolveTrainConfig(config)), parameterGroupsOf('tiny-pretrained', logitsModel));
    const runner = new LocalStepRunner(logitsModel, optimizer, set, new BatchBuilder(set, normalisation), loss, 8);
    const kernelsOf = async (rates: number[]) =>
      (
        await tf.profile(async () => {
          await runner.step(Int32Array.of(0, 1, 2, 3, 4, 5, 6, 7), 1, 0.01, rates);
        })
      ).kernelNames;
    expect((await kernelsOf([0, 0, 1])).filter((name) => name.startsWith('Conv2DBackprop'))).toEqual([]);
    expect((await kernelsOf([0, 1, 1])).filter((name) => name.startsWith('Conv2DBackprop'))).toEqual(['Conv2DBackpropFilter']);
    expect(await kernelsOf([0.01, 0.1, 1])).toContain('Conv2DBackpropInput');
    await runner.dispose();
    model.dispose();
  });

  it('keeps the tensor count flat over 100 steps through the freeze and the unfreeze', async () => {
    const set = train();
    const model = buildModel('tiny-pretrained', { inputShape: [8, 8, 1], numClasses: 4, seed: 4 });
    const logitsModel = logitsModelOf(model);
    const optimizer = GroupedOptimizer.forModel(logitsModel, () => createOptimizer(resolveTrainConfig(config)), parameterGroupsOf('tiny-pretrained', logitsModel));
    const runner = new LocalStepRunner(logitsModel, optimizer, set, new BatchBuilder(set, normalisation, undefined), loss, 4);
    const counts: number[] = [];
    for (let step = 0; step < 100; step++) {
      const { learningRate, groupRates } = fineTuneStepAt({ ...resolveTrainConfig(config), freezeEpochs: 5 }, 3, step, 4, 100);
      await runner.step(Int32Array.from({ length: 4 }, (_, i) => (step * 4 + i) % 16), step, learningRate, groupRates);
      counts.push(tf.memory().numTensors);
    }
    // Step 20 is the unfreeze: the trunk's optimizers make their moments then, and nothing grows after.
    expect(counts[20]).toBeGreaterThan(counts[19]);
    expect(new Set(counts.slice(21))).toEqual(new Set([counts[21]]));
    const beforeDispose = tf.memory().numTensors;
    await runner.dispose();
    expect(tf.memory().numTensors).toBeLessThan(beforeDispose);
    model.dispose();
  });
});

describe('GroupedOptimizer', () => {
  const make = (values: number[][]) => values.map((v) => tf.variable(tf.tensor1d(v)));
  const gradients = (variables: tf.Variable[], values: number[][]) => Object.fromEntries(variables.map((v, i) => [v.name, tf.tensor1d(values[i])]));

  it("gives a group that starts training late Adam's first step of its own (bias correction from its first step)", () => {
    const variables = make([[1, 1], [1, 1]]);
    const optimizer = new GroupedOptimizer(variables, [0, 1], 2, () => tf.train.adam(0.1));
    for (let i = 0; i < 20; i++) optimizer.apply(gradients(variables, [[3, -3], [3, -3]]), 0.1, [0, 1]);
    expect(Array.from(variables[0].dataSync())).toEqual([1, 1]);
    optimizer.apply(gradients(variables, [[3, -3], [3, -3]]), 0.1, [0.5, 1]);
    // Adam's first update is the rate times the gradient's sign: here 0.1 · 0.5.
    const [a, b] = variables[0].dataSync();
    expect(a).toBeCloseTo(0.95, 5);
    expect(b).toBeCloseTo(1.05, 5);
    optimizer.dispose();
  });

  it('saves and restores the state of every group, so a restored optimizer takes the same next step', async () => {
    const first = make([[1, 2], [3, 4], [5, 6]]);
    const second = make([[1, 2], [3, 4], [5, 6]]);
    const optimizer = new GroupedOptimizer(first, [0, 1, 2], 3, () => tf.train.adam(0.05));
    // Gradients that change from step to step: with a constant one, Adam's step would not depend on its state.
    const grads = (step: number) => [[0.5 * step, -1], [2, 0.25 + step], [-3, 1 / (step + 1)]];
    optimizer.apply(gradients(first, grads(0)), 0.05, [0, 0, 1]);
    optimizer.apply(gradients(first, grads(1)), 0.05, [0, 0.3, 1]);
    optimizer.apply(gradients(first, grads(2)), 0.05, [0.1, 0.3, 1]);
    second.forEach((v, i) => v.assign(first[i]));
    const state = await optimizer.save();
    expect(state.entries.map((e) => e.name)).toEqual(expect.arrayContaining(['iter', 'group1/iter', 'group2/iter', 'group2/optimizer/accBeta1']));
    const restored = new GroupedOptimizer(second, [0, 1, 2], 3, () => tf.train.adam(0.05));
    await restored.restore(state);
    optimizer.apply(gradients(first, grads(3)), 0.05, [0.1, 0.3, 1]);
    restored.apply(gradients(second, grads(3)), 0.05, [0.1, 0.3, 1]);
    first.forEach((v, i) => expect(Array.from(second[i].dataSync())).toEqual(Array.from(v.dataSync())));
    optimizer.dispose();
    restored.dispose();
  });

  it('refuses group rates that do not match its groups', () => {
    const optimizer = new GroupedOptimizer(make([[1]]), [0], 1, () => tf.train.sgd(0.1));
    expect(() => optimizer.trainable([1, 1])).toThrow('expected 1 non-negative group learning-rate factors; got [1, 1]');
    expect(() => optimizer.trainable([-1])).toThrow(/non-negative/);
  });
});

describe('parallel training in parameter groups', () => {
  it('takes the same steps as one thread through the freeze and the unfreeze', async () => {
    const resolved = resolveTrainConfig({ model: 'tiny-pretrained-plain', batchSize: 8, learningRate: 0.01, seed: 3 });
    const set = toyImageSet(32, 4, 1);
    const build = () => buildModel('tiny-pretrained-plain', { inputShape: [8, 8, 1], numClasses: 4, seed: 3 });
    const single = build();
    const singleLogits = logitsModelOf(single);
    const local = new LocalStepRunner(singleLogits, GroupedOptimizer.forModel(singleLogits, () => createOptimizer(resolved), parameterGroupsOf('tiny-pretrained-plain', singleLogits)), set, new BatchBuilder(set, normalisation), loss, 8);
    const replicated = build();
    const logitsModel = logitsModelOf(replicated);
    const parallel = await createParallelStepRunner({ workers: 2 })({ config: resolved, model: replicated, logitsModel, train: set, normalisation, loss, groups: parameterGroupsOf('tiny-pretrained-plain', logitsModel) });
    try {
      const rates = [[0, 0, 1], [0, 0, 1], [0.01, 0.1, 1], [0.01, 0.1, 1]];
      for (const [step, groupRates] of rates.entries()) {
        const batch = Int32Array.from({ length: 8 }, (_, i) => (step * 8 + i) % 32);
        await local.step(batch, step, 0.01, groupRates);
        await parallel.step(batch, step, 0.01, groupRates);
      }
      const a = serializeModelWeights(single).data;
      const b = serializeModelWeights(replicated).data;
      expect(a.reduce((max, v, i) => Math.max(max, Math.abs(v - b[i])), 0)).toBeLessThan(1e-6);
      const checksums = await parallel.replicaChecksums();
      expect(new Set(checksums).size).toBe(1);
    } finally {
      await parallel.dispose();
      await local.dispose();
      single.dispose();
      replicated.dispose();
    }
  });
});
