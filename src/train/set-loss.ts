import * as tf from '@tensorflow/tfjs-core';

/**
 * Class-index sets of coarse labels (label-tree nodes): with k classes, label k + j means "one of
 * the classes coarse[j]". Labels below k are ordinary classes.
 */
export type CoarseSets = readonly (readonly number[])[];

/** Added to the logits outside a label's set: exp() of it is 0, and 0 · it is 0, so nothing leaks. */
const OUTSIDE_SET = -1e30;

/** The classes a label allows, as 0/1 rows (n × k, flat): one-hot for a class, multi-hot for a coarse label. */
export function labelMasks(labels: ArrayLike<number>, numClasses: number, coarse: CoarseSets): Float32Array {
  const masks = new Float32Array(labels.length * numClasses);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (label < numClasses) masks[i * numClasses + label] = 1;
    else for (const c of coarse[label - numClasses]) masks[i * numClasses + c] = 1;
  }
  return masks;
}

/**
 * Per-sample loss of labels that may be sets of classes: −log Σ_{c∈S} softmax(z)_c =
 * logsumexp(z) − logsumexp(z over S), the ordinary cross-entropy when S is one class. Label
 * smoothing ε mixes in the cross-entropy against the uniform distribution, as
 * tf.losses.softmaxCrossEntropy does for one class: (1 − ε)·set loss + ε·mean_c(−log softmax(z)_c).
 * The gradient is softmax(z) − [(1 − ε)·softmax(z restricted to S) + ε/k].
 */
export function setCrossEntropy(logits: tf.Tensor2D, masks: tf.Tensor2D, labelSmoothing: number): tf.Tensor1D {
  const all = tf.logSumExp(logits, 1);
  const inSet = tf.logSumExp(tf.add(logits, tf.mul(tf.sub(1, masks), OUTSIDE_SET)), 1);
  const setLoss = tf.sub(all, inSet);
  if (labelSmoothing === 0) return setLoss as tf.Tensor1D;
  const uniform = tf.sub(all, tf.mean(logits, 1));
  return tf.add(tf.mul(setLoss, 1 - labelSmoothing), tf.mul(uniform, labelSmoothing)) as tf.Tensor1D;
}

/** −log P(label) of one row of logits, P(coarse label) being the summed probability of its classes. */
export function setNegativeLogLikelihood(logits: ArrayLike<number>, label: number, coarse: CoarseSets): number {
  const k = logits.length;
  let max = -Infinity;
  for (let c = 0; c < k; c++) if (logits[c] > max) max = logits[c];
  let sumExp = 0;
  for (let c = 0; c < k; c++) sumExp += Math.exp(logits[c] - max);
  if (label < k) return Math.log(sumExp) - (logits[label] - max);
  const set = coarse[label - k];
  let setMax = -Infinity;
  for (const c of set) if (logits[c] > setMax) setMax = logits[c];
  let setSumExp = 0;
  for (const c of set) setSumExp += Math.exp(logits[c] - setMax);
  return Math.log(sumExp) - (setMax - max) - Math.log(setSumExp);
}

/** Whether a predicted class agrees with a label: is the class, or lies under the coarse label. */
export function agreesWithLabel(predicted: number, label: number, numClasses: number, coarse: CoarseSets): boolean {
  return label < numClasses ? predicted === label : coarse[label - numClasses].includes(predicted);
}
