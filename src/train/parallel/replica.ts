import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { loadModelWeights, type ParameterGroups, type SerializedWeights } from '../../models/index.ts';
import { createRng } from '../../util/index.ts';
import type { ImageSet } from '../dataset.ts';
import { GroupedOptimizer } from '../optimizer.ts';
import { batchLoss, countCorrect, type BatchBuilder, type LossInputs } from '../step.ts';
import { layoutSize, type ExchangeLayout, type PartResult } from './protocol.ts';

/**
 * One copy of the model with its own optimizer. Every replica computes the gradients of its part
 * of a batch, then applies the same averaged update, so all replicas stay bit-identical.
 */
export class Replica {
  readonly layout: ExchangeLayout;
  /** Floats of the trainable weights (the gradient) at the start of an exchange buffer. */
  readonly trainableSize: number;
  /** Floats of an exchange buffer: gradients, then batch-norm statistics. */
  readonly exchangeSize: number;
  private readonly trainable: tf.Variable[];
  private readonly nonTrainable: tfl.LayerVariable[];
  private readonly batch: Float32Array;
  private readonly optimizer: GroupedOptimizer;

  constructor(
    private readonly model: tfl.LayersModel,
    private readonly logitsModel: tfl.LayersModel,
    createOptimizer: () => tf.Optimizer,
    private readonly train: ImageSet,
    private readonly builder: BatchBuilder,
    private readonly loss: LossInputs,
    batchSize: number,
    /** Indices into the model's trainable weights, in the order gradients are exchanged and applied. */
    readonly trainableOrder: number[],
    /** The parameter group of each trainable weight (in `logitsModel.trainableWeights` order); one group when absent. */
    groups?: ParameterGroups,
  ) {
    this.trainable = trainableOrder.map((i) => logitsModel.trainableWeights[i].read() as tf.Variable);
    this.optimizer = new GroupedOptimizer(this.trainable, trainableOrder.map((i) => groups?.ofWeight[i] ?? 0), groups?.count ?? 1, createOptimizer);
    this.nonTrainable = logitsModel.nonTrainableWeights;
    this.layout = {
      trainable: this.trainable.map((v) => [...v.shape]),
      nonTrainable: this.nonTrainable.map((v) => v.shape as number[]),
    };
    this.trainableSize = layoutSize(this.layout.trainable);
    this.exchangeSize = this.trainableSize + layoutSize(this.layout.nonTrainable);
    this.batch = new Float32Array(batchSize * train.shape[1] * train.shape[2] * train.shape[3]);
  }

  /**
   * Loss and gradients of the samples `indices` (mean loss over them); writes the gradients (zeros
   * for the groups `groupRates` freezes) and then the batch-norm statistics its forward pass moved into `out`.
   */
  computePart(indices: Int32Array, seed: number, out: Float32Array, groupRates?: readonly number[]): PartResult {
    if (indices.length === 0) return { loss: 0, correct: 0 };
    const [, h, w, c] = this.train.shape;
    this.builder.fill(indices, createRng(seed), this.batch);
    const labels = Int32Array.from(indices, (i) => this.train.labels[i]);
    const keep: { predicted?: tf.Tensor } = {};
    const { value, grads } = tf.tidy(() => {
      const xs = tf.tensor4d(this.batch.subarray(0, indices.length * h * w * c), [indices.length, h, w, c]);
      return tf.variableGrads(() => batchLoss(this.logitsModel, xs, labels, this.loss, keep), this.optimizer.trainable(groupRates));
    });
    let offset = 0;
    for (const variable of this.trainable) {
      const gradient = grads[variable.name];
      if (gradient) out.set(gradient.dataSync() as Float32Array, offset);
      else out.fill(0, offset, offset + variable.size);
      offset += variable.size;
    }
    for (const variable of this.nonTrainable) {
      const values = variable.read().dataSync() as Float32Array;
      out.set(values, offset);
      offset += values.length;
    }
    const loss = value.dataSync()[0];
    tf.dispose([value, grads]);
    return { loss, correct: countCorrect(keep.predicted!, labels, this.loss) };
  }

  /** Applies an averaged update (gradients, then batch-norm statistics, laid out as `computePart` writes them). */
  apply(update: Float32Array, learningRate: number, groupRates?: readonly number[]): void {
    const training = new Set(this.optimizer.trainable(groupRates));
    // slice() copies out of the shared buffer: a tensor may keep the array it was made from.
    let offset = 0;
    const gradients: Record<string, tf.Tensor> = {};
    for (const variable of this.trainable) {
      if (training.has(variable)) gradients[variable.name] = tf.tensor(update.slice(offset, offset + variable.size), variable.shape);
      offset += variable.size;
    }
    this.optimizer.apply(gradients, learningRate, groupRates);
    tf.dispose(Object.values(gradients));
    for (const variable of this.nonTrainable) {
      const size = variable.shape.reduce<number>((a, b) => a * (b ?? 1), 1);
      tf.tidy(() => {
        variable.write(tf.tensor(update.slice(offset, offset + size), variable.shape as number[]));
      });
      offset += size;
    }
  }

  loadWeights(weights: SerializedWeights): void {
    loadModelWeights(this.model, weights);
  }

  optimizerState(): Promise<SerializedWeights> {
    return this.optimizer.save();
  }

  restoreOptimizer(state: SerializedWeights): Promise<void> {
    return this.optimizer.restore(state);
  }

  /** FNV-1a (per 32-bit word) over the bits of every weight: equal checksums mean bit-identical replicas. */
  checksum(): number {
    let hash = 0x811c9dc5;
    for (const variable of this.model.weights) {
      const bits = new Uint32Array((variable.read().dataSync() as Float32Array).slice().buffer);
      for (let i = 0; i < bits.length; i++) hash = Math.imul(hash ^ bits[i], 0x01000193) >>> 0;
    }
    return hash;
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
