import { viewOfBatch } from '../augment/index.ts';
import type { RawImage } from '../data/index.ts';
import type { ModelRunner, OnnxOutput } from '../engine/onnx/portable.ts';
import type { FeatureMaps } from '../explain/portable.ts';
import { FEATURE_LAYER_NAME, type BundleMetadata } from '../models/portable.ts';
import { modelInput } from '../preprocess/index.ts';
import { calibrate } from './prediction.ts';

export interface InferOptions {
  /** Also each image's 'features' output (null when the ONNX model has none). */
  features?: boolean;
  /** With the bundle's temperature (default); false gives the model's own softmax, what a recalibration starts from. */
  calibrated?: boolean;
  /** Images per model run; default the bundle's. */
  batchSize?: number;
  signal?: AbortSignal;
}

export interface Inference {
  /** n × classes, row-major. */
  probabilities: Float32Array;
  /** Each image's 'features' output, when asked for and the model has it. */
  features: FeatureMaps[] | null;
}

/**
 * Class probabilities of decoded images already at the input size, through any model runner in
 * batches: normalised as in training, averaged over the bundle's test-time views, then calibrated.
 * The server (ModelBundle) and the web app run this same code.
 */
export async function inferImages(runner: Pick<ModelRunner, 'run'>, metadata: BundleMetadata, images: readonly RawImage[], options: InferOptions & { batchSize: number }): Promise<Inference> {
  const { calibrated = true, batchSize, signal } = options;
  const k = metadata.classes.length;
  const probabilities = new Float32Array(images.length * k);
  let features: FeatureMaps[] | null = options.features ? [] : null;
  for (let start = 0; start < images.length; start += batchSize) {
    signal?.throwIfAborted();
    const batch = images.slice(start, start + batchSize);
    const input = modelBatch(metadata, batch, start);
    const result = await runner.run(input, batch.length);
    probabilities.set(await averagedOverViews(runner, metadata, input, batch.length, result.probabilities), start * k);
    const maps = result.outputs[FEATURE_LAYER_NAME];
    if (features && !maps) features = null;
    if (features && maps) features.push(...featureMapsOf(maps));
  }
  return { probabilities: calibrated ? calibrate(probabilities, k, metadata.temperature) : probabilities, features };
}

/** The model's input batch: images checked against the input size and normalised as in training. */
function modelBatch(metadata: BundleMetadata, images: readonly RawImage[], firstIndex: number): Float32Array {
  const { height, width, channels } = metadata.input;
  const size = height * width * channels;
  const batch = new Float32Array(images.length * size);
  images.forEach((image, i) => batch.set(modelInput(image, metadata.input, firstIndex + i), i * size));
  return batch;
}

/** Test-time augmentation (the bundle's input.tta): the mean probabilities over the views, the first being the image itself. */
async function averagedOverViews(runner: Pick<ModelRunner, 'run'>, metadata: BundleMetadata, input: Float32Array, n: number, ofImage: Float32Array): Promise<Float32Array> {
  const views = metadata.input.tta ?? [];
  if (views.length <= 1) return ofImage;
  const { height, width, channels } = metadata.input;
  const sum = Float32Array.from(ofImage);
  for (const view of views.slice(1)) {
    const { probabilities } = await runner.run(viewOfBatch(input, [n, height, width, channels], view), n);
    for (let i = 0; i < sum.length; i++) sum[i] += probabilities[i];
  }
  return sum.map((p) => p / views.length);
}

/** One feature map per image of an ONNX output [n, height, width, channels]. */
function featureMapsOf(maps: OnnxOutput): FeatureMaps[] {
  const [n, height, width, channels] = maps.shape;
  const size = height * width * channels;
  return Array.from({ length: n }, (_, i) => ({ data: maps.data.subarray(i * size, (i + 1) * size), height, width, channels }));
}
