import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { activationsAndGradients, logitsTensor, resolveTargetLayer } from './graph.ts';
import { CAM_MAP_FUNCTIONS } from './methods.ts';
import { CAM_METHODS, type CamMethod, type Heatmap } from './types.ts';

/** A class by index, or by name when class names are supplied. */
export type ClassRef = number | string;

export interface ExplainOptions {
  method: CamMethod;
  /** Target layer; default: 'features' if present, else the last layer with a 4-D output. */
  layer?: string;
  /** Class to explain; default: the predicted class. */
  targetClass?: ClassRef;
  /** Class names in logit order; allows `targetClass` by name and fills `className`. */
  classNames?: readonly string[];
}

export interface ExplainBatchOptions extends Omit<ExplainOptions, 'targetClass'> {
  /** One class for every image, or one per image. */
  targetClass?: ClassRef | readonly ClassRef[];
}

/** A CAM at the target layer's resolution (`map` is height × width, row-major, ≥ 0). */
export interface Explanation extends Heatmap {
  method: CamMethod;
  layer: string;
  targetClass: number;
  className?: string;
  /** The target class logit (pre-softmax score), the quantity whose gradient is taken. */
  score: number;
  probabilities: Float32Array;
}

/** Resolves a class reference to an index, with an error that lists the valid classes. */
export function resolveClass(ref: ClassRef, numClasses: number, classNames?: readonly string[]): number {
  const valid = classNames ? classNames.map((name, i) => `${i} (${name})`).join(', ') : `0..${numClasses - 1}`;
  if (typeof ref === 'number') {
    if (Number.isInteger(ref) && ref >= 0 && ref < numClasses) return ref;
    throw new Error(`class index ${ref} is out of range; valid classes: ${valid}`);
  }
  if (!classNames) throw new Error(`class "${ref}" given by name but no class names were supplied; give an index 0..${numClasses - 1}`);
  const index = classNames.indexOf(ref);
  if (index === -1) throw new Error(`unknown class "${ref}"; valid classes: ${valid}`);
  return index;
}

/** Per-image input shape [height, width, channels] of the model. */
function modelImageShape(model: tfl.LayersModel): number[] {
  const shape = model.inputs[0].shape.slice(1);
  if (shape.length !== 3 || shape.some((d) => d === null)) {
    throw new Error(`model "${model.name}" must take images of a fixed [height, width, channels] shape, has [${shape.join(', ')}]`);
  }
  return shape as number[];
}

/** A new tensor (to be disposed by the caller of toBatch) holding the images as a batch n × h × w × c; call inside tf.tidy. */
function toBatch(model: tfl.LayersModel, images: tf.Tensor | readonly Float32Array[]): tf.Tensor4D {
  const [h, w, c] = modelImageShape(model);
  const expected = `[${h}, ${w}, ${c}]`;
  if (images instanceof tf.Tensor) {
    const batch = images.rank === 3 ? tf.expandDims(images, 0) : images;
    if (batch.rank !== 4 || batch.shape[1] !== h || batch.shape[2] !== w || batch.shape[3] !== c) {
      throw new Error(`expected images of shape ${expected} (optionally batched), got [${images.shape.join(', ')}]`);
    }
    // cast() always makes a new tensor, so the caller's stays theirs.
    return tf.cast(batch, 'float32') as tf.Tensor4D;
  }
  if (images.length === 0) throw new Error('no images to explain');
  const size = h * w * c;
  const bad = images.findIndex((image) => image.length !== size);
  if (bad !== -1) throw new Error(`image ${bad} has ${images[bad].length} values, expected ${expected} = ${size} (HWC, normalised as the model expects)`);
  const data = new Float32Array(images.length * size);
  images.forEach((image, i) => data.set(image, i * size));
  return tf.tensor4d(data, [images.length, h, w, c]);
}

/** Grad-CAM, Grad-CAM++ or HiRes-CAM for every image of a batch. */
export function explainBatch(model: tfl.LayersModel, images: tf.Tensor | readonly Float32Array[], options: ExplainBatchOptions): Explanation[] {
  if (!CAM_METHODS.includes(options.method)) {
    throw new Error(`unknown method "${options.method}"; choose one of: ${CAM_METHODS.join(', ')}`);
  }
  const numClasses = logitsTensor(model).shape[1];
  if (typeof numClasses !== 'number') throw new Error(`the logits of model "${model.name}" have no fixed class count`);
  const { classNames } = options;
  if (classNames && classNames.length !== numClasses) {
    throw new Error(`got ${classNames.length} class names for a model with ${numClasses} classes`);
  }
  const layer = resolveTargetLayer(model, options.layer);
  const batch = tf.tidy(() => toBatch(model, images));
  try {
    const n = batch.shape[0];
    const refs = options.targetClass;
    if (Array.isArray(refs) && refs.length !== n) throw new Error(`got ${refs.length} target classes for ${n} images`);
    const targets = Array.from({ length: n }, (_, i) => {
      const ref = Array.isArray(refs) ? (refs as readonly ClassRef[])[i] : (refs as ClassRef | undefined);
      return ref === undefined ? null : resolveClass(ref, numClasses, classNames);
    });
    const pass = activationsAndGradients(model, batch, layer.output, targets);
    const mapOf = CAM_MAP_FUNCTIONS[options.method];
    return pass.activations.map((activations, i) => {
      const targetClass = pass.targetClasses[i];
      return {
        map: mapOf(activations, pass.gradients[i]),
        height: activations.height,
        width: activations.width,
        method: options.method,
        layer: layer.name,
        targetClass,
        ...(classNames ? { className: classNames[targetClass] } : {}),
        score: pass.logits[i][targetClass],
        probabilities: pass.probabilities[i],
      };
    });
  } finally {
    batch.dispose();
  }
}

/** Grad-CAM, Grad-CAM++ or HiRes-CAM for one image: HWC Float32Array normalised as the model expects, or a tensor (h × w × c or 1 × h × w × c). */
export function explain(model: tfl.LayersModel, input: Float32Array | tf.Tensor, options: ExplainOptions): Explanation {
  const images = input instanceof Float32Array ? [input] : input;
  if (images instanceof tf.Tensor && images.rank === 4 && images.shape[0] !== 1) {
    throw new Error(`explain() takes one image, got a batch of ${images.shape[0]}; use explainBatch()`);
  }
  return explainBatch(model, images, options)[0];
}
