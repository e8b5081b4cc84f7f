import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { deserializeTensors, serializeTensors, type ParameterGroups, type SerializedWeights } from '../models/index.ts';
import type { TrainConfig } from './config.ts';

export function createOptimizer(config: Pick<TrainConfig, 'optimizer' | 'learningRate' | 'momentum'>): tf.Optimizer {
  return config.optimizer === 'adam' ? tf.train.adam(config.learningRate) : tf.train.momentum(config.learningRate, config.momentum);
}

export function setLearningRate(optimizer: tf.Optimizer, learningRate: number): void {
  const settable = optimizer as unknown as { learningRate: number; setLearningRate?: (rate: number) => void };
  if (settable.learningRate === learningRate) return;
  // SGD and momentum step with a scalar their setter remakes; Adam reads the field at every step and has no setter.
  if (settable.setLearningRate) settable.setLearningRate(learningRate);
  else settable.learningRate = learningRate;
}

/**
 * The model's trainable weights in the order they were created, which is the order in which
 * optimizer.minimize keeps its per-variable state: keeping it makes optimizer checkpoints
 * interchangeable between the step runners. (A functional model lists its layers in another
 * order, e.g. a ResNet's shortcut convolution after the main path.)
 */
export function creationOrder(logitsModel: tfl.LayersModel): number[] {
  const rank = new Map(Object.keys(tf.engine().registeredVariables).map((name, i) => [name, i]));
  const ranks = logitsModel.trainableWeights.map((w) => rank.get((w.read() as tf.Variable).name)!);
  return ranks.map((_, i) => i).sort((a, b) => ranks[a] - ranks[b]);
}

/**
 * One optimizer per parameter group, each stepping at the base learning rate times its group's
 * rate. A group at rate 0 is frozen: it is neither differentiated nor updated, and its optimizer is
 * made when the group first trains, so Adam's bias correction counts that group's own steps (as
 * PyTorch's per-parameter step count does). With one group this is the plain optimizer.
 */
export class GroupedOptimizer {
  private readonly members: tf.Variable[][];
  private readonly optimizers: (tf.Optimizer | null)[];

  /** `variables` in creation order; `groupOf[i]` is the group of variables[i]. */
  constructor(
    private readonly variables: readonly tf.Variable[],
    groupOf: readonly number[],
    readonly groupCount: number,
    private readonly create: () => tf.Optimizer,
  ) {
    if (groupOf.length !== variables.length) throw new Error(`${variables.length} variables but ${groupOf.length} group assignments`);
    this.members = Array.from({ length: groupCount }, (_, g) => variables.filter((_, i) => groupOf[i] === g));
    this.optimizers = new Array<tf.Optimizer | null>(groupCount).fill(null);
  }

  /** The trainable weights of a model (creation order) under one optimizer, or in the model's parameter groups. */
  static forModel(logitsModel: tfl.LayersModel, create: () => tf.Optimizer, groups?: ParameterGroups): GroupedOptimizer {
    const order = creationOrder(logitsModel);
    const variables = order.map((i) => logitsModel.trainableWeights[i].read() as tf.Variable);
    return new GroupedOptimizer(variables, order.map((i) => groups?.ofWeight[i] ?? 0), groups?.count ?? 1, create);
  }

  /** The variables a step at these group rates differentiates (rate > 0), in creation order; all without rates. */
  trainable(rates?: readonly number[]): tf.Variable[] {
    if (!rates) return [...this.variables];
    this.checkRates(rates);
    return this.members.flatMap((members, g) => (rates[g] > 0 ? members : []));
  }

  /** Updates every group whose rate is positive with its gradients (by variable name; a missing one leaves that variable alone). */
  apply(gradients: Readonly<Record<string, tf.Tensor | undefined>>, learningRate: number, rates?: readonly number[]): void {
    if (rates) this.checkRates(rates);
    this.members.forEach((members, g) => {
      const rate = rates ? rates[g] : 1;
      if (rate <= 0 || members.length === 0) return;
      const optimizer = (this.optimizers[g] ??= this.create());
      setLearningRate(optimizer, learningRate * rate);
      optimizer.applyGradients(members.map((v) => ({ name: v.name, tensor: gradients[v.name]! })));
    });
  }

  /** The state of every group that has trained; group g > 0 under names prefixed `group<g>/`. */
  async save(): Promise<SerializedWeights> {
    const parts: SerializedWeights[] = [];
    for (const [g, optimizer] of this.optimizers.entries()) {
      if (!optimizer) continue;
      const state = await saveOptimizerState(optimizer);
      parts.push({ entries: state.entries.map((entry) => ({ ...entry, name: `${groupPrefix(g)}${entry.name}` })), data: state.data });
    }
    return concatWeights(parts);
  }

  async restore(weights: SerializedWeights): Promise<void> {
    // Each entry's slice collected per group, then joined once per group.
    const byGroup = new Map<number, SerializedWeights[]>();
    let offset = 0;
    for (const entry of weights.entries) {
      const size = entry.shape.reduce((a, b) => a * b, 1);
      const match = /^group(\d+)\//.exec(entry.name);
      const g = match ? Number(match[1]) : 0;
      if (g >= this.groupCount) throw new Error(`the optimizer state has parameter group ${g}; this model has ${this.groupCount}`);
      const parts = byGroup.get(g) ?? [];
      parts.push({ entries: [{ ...entry, name: match ? entry.name.slice(match[0].length) : entry.name }], data: weights.data.subarray(offset, offset + size) });
      byGroup.set(g, parts);
      offset += size;
    }
    for (const [g, parts] of byGroup) {
      this.optimizers[g]?.dispose();
      this.optimizers[g] = this.create();
      await restoreOptimizerState(this.optimizers[g]!, concatWeights(parts));
    }
  }

  dispose(): void {
    this.optimizers.forEach((optimizer) => optimizer?.dispose());
    this.optimizers.fill(null);
  }

  private checkRates(rates: readonly number[]): void {
    if (rates.length !== this.groupCount || rates.some((r) => !(r >= 0))) {
      throw new Error(`expected ${this.groupCount} non-negative group learning-rate factors; got [${rates.join(', ')}]`);
    }
  }
}

function concatWeights(parts: readonly SerializedWeights[]): SerializedWeights {
  const data = new Float32Array(parts.reduce((sum, part) => sum + part.data.length, 0));
  let offset = 0;
  for (const part of parts) {
    data.set(part.data, offset);
    offset += part.data.length;
  }
  return { entries: parts.flatMap((part) => part.entries), data };
}

function groupPrefix(group: number): string {
  return group === 0 ? '' : `group${group}/`;
}

/**
 * Adam keeps beta1^t and beta2^t as running products; its setWeights() recomputes them with pow(),
 * which rounds differently, so a resumed run would drift from an uninterrupted one in the 7th digit.
 * They are saved and restored exactly, beside the moments.
 */
const ADAM_POWERS = ['accBeta1', 'accBeta2'] as const;

export async function saveOptimizerState(optimizer: tf.Optimizer): Promise<SerializedWeights> {
  const named = (await optimizer.getWeights()).map((t) => ({ name: t.name, tensor: t.tensor }));
  const internals = optimizer as unknown as Record<string, tf.Variable | undefined>;
  for (const power of ADAM_POWERS) {
    const variable = internals[power];
    if (variable) named.push({ name: `optimizer/${power}`, tensor: variable });
  }
  return serializeTensors(named);
}

export async function restoreOptimizerState(optimizer: tf.Optimizer, weights: SerializedWeights): Promise<void> {
  const tensors = deserializeTensors(weights);
  const powers = tensors.filter((t) => t.name.startsWith('optimizer/'));
  const rest = tensors.filter((t) => !t.name.startsWith('optimizer/'));
  await optimizer.setWeights(rest);
  // The optimizer made its own variables of them.
  rest.forEach((t) => t.tensor.dispose());
  const internals = optimizer as unknown as Record<string, tf.Variable | undefined>;
  for (const { name, tensor } of powers) internals[name.slice('optimizer/'.length)]?.assign(tensor as tf.Scalar);
  powers.forEach((t) => t.tensor.dispose());
}
