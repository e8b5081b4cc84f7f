import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { SerializedWeights } from '../models/index.ts';
import type { Pipeline } from '../augment/index.ts';
import { createRng, type Rng } from '../util/index.ts';
import { GroupedOptimizer } from './optimizer.ts';
import { normaliseInPlace, readImage, type ImageSet, type Normalisation } from './dataset.ts';
import { agreesWithLabel, labelMasks, setCrossEntropy, type CoarseSets } from './set-loss.ts';

export interface StepResult {
  /** Mean loss over the batch. */
  loss: number;
  /** Correctly classified samples of the batch (before the update). */
  correct: number;
}

/** Takes optimizer steps; the in-process runner and the multi-core one share this contract. */
export interface StepRunner {
  /**
   * One optimizer step on the samples `indices`; `seed` seeds the augmentation of this step. With
   * `groupRates`, parameter group g steps at learningRate · groupRates[g] (0 = frozen).
   */
  step(indices: Int32Array, seed: number, learningRate: number, groupRates?: readonly number[]): Promise<StepResult>;
  optimizerWeights(): Promise<SerializedWeights>;
  restoreOptimizer(weights: SerializedWeights): Promise<void>;
  dispose(): Promise<void>;
}

/** Builds normalised (and optionally augmented) input batches from an image set. */
export class BatchBuilder {
  private readonly imageSize: number;

  constructor(
    private readonly set: ImageSet,
    private readonly normalisation: Normalisation,
    private readonly augment?: Pipeline,
  ) {
    this.imageSize = set.shape[1] * set.shape[2] * set.shape[3];
  }

  /** Writes the batch into `out` (length ≥ indices.length · H·W·C). */
  fill(indices: ArrayLike<number>, rng: Rng, out: Float32Array): void {
    const [, h, w, c] = this.set.shape;
    const size = this.imageSize;
    for (let i = 0; i < indices.length; i++) {
      const slot = out.subarray(i * size, (i + 1) * size);
      readImage(this.set, indices[i], slot);
      if (this.augment) slot.set(this.augment.apply({ data: slot, height: h, width: w, channels: c }, rng).data);
      normaliseInPlace(slot, c, this.normalisation);
    }
  }
}

export interface LossInputs {
  numClasses: number;
  /** Loss weight per label (class-weighted training; coarse labels after the classes), or null. */
  classWeights: Float32Array | null;
  labelSmoothing: number;
  /** Label numClasses + j means "one of the classes coarseLabels[j]" (a label-tree node); absent when every label is a class. */
  coarseLabels?: CoarseSets;
  /** Batch norm normalises with its stored statistics and keeps them (TrainConfig.batchNorm 'frozen'); with the batch's own otherwise. */
  frozenBatchNorm?: boolean;
}

/**
 * Loss and predictions of one batch inside a gradient tape: softmax cross-entropy on the logits
 * (the set loss when labels may be label-tree nodes), weighted per sample by its label's weight,
 * averaged over the batch.
 */
export function batchLoss(logitsModel: tfl.LayersModel, xs: tf.Tensor4D, labels: Int32Array, inputs: LossInputs, keep: { predicted?: tf.Tensor }): tf.Scalar {
  const weights = inputs.classWeights ? tf.tensor1d(Float32Array.from(labels, (l) => inputs.classWeights![l])) : undefined;
  const logits = logitsModel.apply(xs, { training: !inputs.frozenBatchNorm }) as tf.Tensor2D;
  keep.predicted = tf.keep(tf.argMax(logits, -1));
  if (inputs.coarseLabels && inputs.coarseLabels.length > 0) {
    const masks = tf.tensor2d(labelMasks(labels, inputs.numClasses, inputs.coarseLabels), [labels.length, inputs.numClasses]);
    return tf.losses.computeWeightedLoss(setCrossEntropy(logits, masks, inputs.labelSmoothing), weights, tf.Reduction.MEAN) as tf.Scalar;
  }
  const targets = tf.oneHot(tf.tensor1d(labels, 'int32'), inputs.numClasses);
  return tf.losses.softmaxCrossEntropy(targets, logits, weights, inputs.labelSmoothing, tf.Reduction.MEAN) as tf.Scalar;
}

/** Samples whose predicted class agrees with their label (is it, or lies under their coarse label); disposes `predicted`. */
export function countCorrect(predicted: tf.Tensor, labels: Int32Array, inputs: Pick<LossInputs, 'numClasses' | 'coarseLabels'>): number {
  const values = predicted.dataSync();
  predicted.dispose();
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (agreesWithLabel(values[i], labels[i], inputs.numClasses, inputs.coarseLabels ?? [])) correct++;
  return correct;
}

/** Runs every step on this thread's backend. */
export class LocalStepRunner implements StepRunner {
  private readonly batch: Float32Array;
  private readonly optimizer: GroupedOptimizer;

  /** A plain optimizer steps every weight at the step's rate; a grouped one follows the step's group rates. */
  constructor(
    private readonly logitsModel: tfl.LayersModel,
    optimizer: tf.Optimizer | GroupedOptimizer,
    private readonly train: ImageSet,
    private readonly builder: BatchBuilder,
    private readonly loss: LossInputs,
    batchSize: number,
  ) {
    this.optimizer = optimizer instanceof GroupedOptimizer ? optimizer : GroupedOptimizer.forModel(logitsModel, () => optimizer);
    this.batch = new Float32Array(batchSize * train.shape[1] * train.shape[2] * train.shape[3]);
  }

  async step(indices: Int32Array, seed: number, learningRate: number, groupRates?: readonly number[]): Promise<StepResult> {
    const [, h, w, c] = this.train.shape;
    this.builder.fill(indices, createRng(seed), this.batch);
    const labels = Int32Array.from(indices, (i) => this.train.labels[i]);
    const keep: { predicted?: tf.Tensor } = {};
    const lossTensor = tf.tidy(() => {
      const xs = tf.tensor4d(this.batch.subarray(0, indices.length * h * w * c), [indices.length, h, w, c]);
      // Only the groups that train are differentiated: a frozen trunk costs no backward pass.
      const { value, grads } = tf.variableGrads(() => batchLoss(this.logitsModel, xs, labels, this.loss, keep), this.optimizer.trainable(groupRates));
      this.optimizer.apply(grads, learningRate, groupRates);
      return value;
    });
    const loss = (await lossTensor.data())[0];
    lossTensor.dispose();
    const correct = countCorrect(keep.predicted!, labels, this.loss);
    if (!Number.isFinite(loss)) throw new Error('training diverged (the loss is not a finite number): lower the learning rate');
    return { loss, correct };
  }

  async optimizerWeights(): Promise<SerializedWeights> {
    return this.optimizer.save();
  }

  async restoreOptimizer(weights: SerializedWeights): Promise<void> {
    await this.optimizer.restore(weights);
  }

  async dispose(): Promise<void> {
    this.optimizer.dispose();
  }
}
