/**
 * The shared core of every CAM method (the design of pytorch-grad-cam): one forward pass that keeps
 * the target layer's activations A, then the gradient of the target class logit with respect to A,
 * taken in a single tape.
 *
 * TF.js can only differentiate with respect to tensors that exist before the taped function runs, so
 * the model graph is run in two parts by a small interpreter over its layer nodes: input → A outside
 * the tape, then A → logits inside it. Branches that bypass A (a residual shortcut around a block) are
 * computed inside the tape too, as constants with respect to A, so any layer of any functional or
 * sequential model can be the target.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { FEATURE_LAYER_NAME, LOGITS_LAYER_NAME } from '../models/index.ts';
import type { FeatureMaps } from './types.ts';

type Layer = tfl.layers.Layer;

function isInputLayer(layer: Layer): boolean {
  return layer.getClassName() === 'InputLayer';
}

function singleOutput(layer: Layer): tfl.SymbolicTensor | null {
  if (layer.inboundNodes.length !== 1) return null;
  const output = layer.output;
  return Array.isArray(output) ? (output.length === 1 ? output[0] : null) : output;
}

/** Layers whose outputs are needed to compute `target`. */
function ancestorLayers(target: tfl.SymbolicTensor): Set<Layer> {
  const layers = new Set<Layer>();
  const pending = [target];
  const seen = new Set<number>();
  while (pending.length > 0) {
    const tensor = pending.pop()!;
    if (seen.has(tensor.id)) continue;
    seen.add(tensor.id);
    layers.add(tensor.sourceLayer);
    if (isInputLayer(tensor.sourceLayer)) continue;
    pending.push(...tensor.sourceLayer.inboundNodes[tensor.nodeIndex].inputTensors);
  }
  return layers;
}

export function logitsTensor(model: tfl.LayersModel): tfl.SymbolicTensor {
  const layer = model.layers.find((l) => l.name === LOGITS_LAYER_NAME);
  const output = layer ? singleOutput(layer) : null;
  if (!output) {
    throw new Error(`model "${model.name}" has no single-output layer named "${LOGITS_LAYER_NAME}" (the pre-softmax class scores) to explain`);
  }
  return output;
}

/** Names of the layers that can be explained: one 4-D output (batch × height × width × channels) that feeds the logits, in model order. */
export function featureLayerNames(model: tfl.LayersModel): string[] {
  const ancestors = ancestorLayers(logitsTensor(model));
  return model.layers
    .filter((layer) => ancestors.has(layer) && !isInputLayer(layer) && singleOutput(layer)?.rank === 4)
    .map((layer) => layer.name);
}

/** The named layer, else the 'features' layer, else the last layer with a 4-D output. */
export function resolveTargetLayer(model: tfl.LayersModel, name?: string): { name: string; output: tfl.SymbolicTensor } {
  const candidates = featureLayerNames(model);
  if (candidates.length === 0) throw new Error(`model "${model.name}" has no convolutional layer (4-D output) before its logits to explain`);
  let chosen: string;
  if (name === undefined) {
    chosen = candidates.includes(FEATURE_LAYER_NAME) ? FEATURE_LAYER_NAME : candidates[candidates.length - 1];
  } else if (candidates.includes(name)) {
    chosen = name;
  } else {
    const problem = model.layers.some((l) => l.name === name) ? 'is not a 4-D feature map that feeds the logits' : 'does not exist';
    throw new Error(`layer "${name}" ${problem} in model "${model.name}"; choose one of: ${candidates.join(', ')}`);
  }
  return { name: chosen, output: singleOutput(model.getLayer(chosen))! };
}

/** Computes `target` from the tensors already in `values` (keyed by symbolic tensor id), caching every intermediate there. */
function evaluate(target: tfl.SymbolicTensor, values: Map<number, tf.Tensor>): tf.Tensor {
  const known = values.get(target.id);
  if (known) return known;
  const layer = target.sourceLayer;
  if (isInputLayer(layer)) throw new Error(`no value given for model input "${target.name}"`);
  const node = layer.inboundNodes[target.nodeIndex];
  const inputs = node.inputTensors.map((t) => evaluate(t, values));
  const result = layer.apply(inputs.length === 1 ? inputs[0] : inputs) as tf.Tensor | tf.Tensor[];
  const outputs = Array.isArray(result) ? result : [result];
  node.outputTensors.forEach((symbolic, i) => values.set(symbolic.id, outputs[i]));
  return values.get(target.id)!;
}

export interface ActivationsAndGradients {
  /** Per image: A at the target layer. */
  activations: FeatureMaps[];
  /** Per image: dY_c/dA for that image's target class c. */
  gradients: FeatureMaps[];
  logits: Float32Array[];
  probabilities: Float32Array[];
  targetClasses: number[];
}

function argMax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

function splitRows(data: Float32Array, rows: number): Float32Array[] {
  const size = data.length / rows;
  return Array.from({ length: rows }, (_, i) => data.slice(i * size, (i + 1) * size));
}

function splitFeatureMaps(data: Float32Array, shape: number[]): FeatureMaps[] {
  const [n, height, width, channels] = shape;
  return splitRows(data, n).map((part) => ({ data: part, height, width, channels }));
}

/**
 * One forward and one backward pass for a batch of images (n × h × w × c, as the model expects).
 * `targets[i]` is the class whose logit is explained for image i; null means the predicted class.
 */
export function activationsAndGradients(
  model: tfl.LayersModel,
  images: tf.Tensor4D,
  layer: tfl.SymbolicTensor,
  targets: readonly (number | null)[],
): ActivationsAndGradients {
  const n = images.shape[0];
  if (targets.length !== n) throw new Error(`got ${targets.length} target classes for ${n} images`);
  const logitsSymbolic = logitsTensor(model);
  const numClasses = logitsSymbolic.shape[1]!;
  const bad = targets.find((t) => t !== null && !(Number.isInteger(t) && t >= 0 && t < numClasses));
  if (bad !== undefined) throw new Error(`class index ${bad} is out of range; valid classes: 0..${numClasses - 1}`);
  const outputSymbolic = model.outputs[0];
  let logits: Float32Array[] = [];
  let probabilities: Float32Array[] = [];
  let targetClasses: number[] = [];
  let activationData: Float32Array = new Float32Array(0);
  let gradientData: Float32Array = new Float32Array(0);
  let featureShape: number[] = [];
  tf.tidy(() => {
    const values = new Map<number, tf.Tensor>([[model.inputs[0].id, images]]);
    const activations = evaluate(layer, values);
    const targetLogitSum = (): tf.Scalar => {
      const logitsTensor = evaluate(logitsSymbolic, values);
      logits = splitRows(logitsTensor.dataSync() as Float32Array, n);
      probabilities = splitRows(evaluate(outputSymbolic, values).dataSync() as Float32Array, n);
      targetClasses = targets.map((target, i) => target ?? argMax(logits[i]));
      const selection = tf.cast(tf.oneHot(tf.tensor1d(targetClasses, 'int32'), numClasses), 'float32');
      return tf.sum(tf.mul(logitsTensor, selection));
    };
    const { grads } = tf.valueAndGrads(targetLogitSum)([activations]);
    activationData = activations.dataSync() as Float32Array;
    gradientData = grads[0].dataSync() as Float32Array;
    featureShape = activations.shape;
  });
  return {
    activations: splitFeatureMaps(activationData, featureShape),
    gradients: splitFeatureMaps(gradientData, featureShape),
    logits,
    probabilities,
    targetClasses,
  };
}
