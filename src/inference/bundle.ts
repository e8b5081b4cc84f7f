import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { decodeImage, type RawImage } from '../data/index.ts';
import { OnnxClassifier, type OnnxOutput } from '../engine/onnx/index.ts';
import { gapDenseKernel, hasGapDenseHead, type FeatureMaps, type Heatmap } from '../explain/index.ts';
import { FEATURE_LAYER_NAME, loadBundleModel, modelVersionOf, readBundleMetadata, resizePolicyOf, type BundleMetadata } from '../models/index.ts';
import { modelInput, stainNormalisationOf } from '../preprocess/index.ts';
import { explainImage, predictWithHeatmap, type ExplainImageOptions, type ImageExplanation } from './explain.ts';
import { FieldPredictor, type FieldPredictOptions, type FieldPrediction, type FieldPredictorOptions } from './field-predictor.ts';
import { calibrate, toPrediction, type ImagePrediction } from './prediction.ts';

export type Runtime = 'onnx' | 'tfjs';

export interface LoadBundleOptions {
  /** onnx (default when the bundle has model.onnx) or tfjs. */
  runtime?: Runtime;
  /** Intra-op threads of the ONNX session; default: all cores. */
  threads?: number;
  /** Images per batch of `predict` and `probabilities` (default 32). */
  batchSize?: number;
}

export interface InferOptions {
  /** Also each image's 'features' output of the ONNX model (null when the model has none, or on tfjs). */
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
  features: FeatureMaps[] | null;
}

/**
 * Loads a model bundle once for every use (`predict`, `explain`, `predictField`): its metadata and
 * one ONNX session, or on the tfjs runtime the TF.js model. A malformed or greyscale stain setting
 * fails here, not at the first prediction.
 */
export async function loadBundle(dir: string, options: LoadBundleOptions = {}): Promise<ModelBundle> {
  const metadata = await readBundleMetadata(dir);
  stainNormalisationOf(metadata.input);
  const runtime = options.runtime ?? (metadata.onnx ? 'onnx' : 'tfjs');
  const batchSize = options.batchSize ?? 32;
  if (runtime === 'onnx') {
    if (!metadata.onnx) throw new Error(`bundle ${dir} has no ONNX model; run 'gramlens export' first (or load it on the tfjs runtime)`);
    const onnx = await OnnxClassifier.load(join(dir, metadata.onnx.file), { threads: options.threads });
    return new ModelBundle(dir, metadata, runtime, onnx, null, batchSize);
  }
  const { model } = await loadBundleModel(dir);
  return new ModelBundle(dir, metadata, runtime, null, model, batchSize);
}

/**
 * A loaded model bundle: decodes and normalises images as the model was trained, runs them through
 * onnxruntime (or TF.js) in batches and applies the calibrated temperature. The TF.js model is read
 * from the weights only when something needs it (a gradient-based CAM, or the dense kernel of the
 * closed-form one), and then kept.
 */
class ModelBundle {
  private tfModelLoad: Promise<tfl.LayersModel> | null;
  private denseKernelLoad: Promise<Float32Array | null> | null = null;
  private defaultFieldPredictor: FieldPredictor | null = null;

  constructor(
    readonly dir: string,
    readonly metadata: BundleMetadata,
    readonly runtime: Runtime,
    private readonly onnx: OnnxClassifier | null,
    tfModel: tfl.LayersModel | null,
    readonly batchSize: number,
  ) {
    this.tfModelLoad = tfModel ? Promise.resolve(tfModel) : null;
  }

  get classes(): string[] {
    return this.metadata.classes;
  }

  /** What the audit trail records with each prediction (see modelVersionOf). */
  get modelVersion(): string {
    return modelVersionOf(this.metadata);
  }

  /** Decodes files or encoded image buffers with the bundle's resize policy. */
  async decode(inputs: readonly (string | Buffer)[]): Promise<RawImage[]> {
    const policy = resizePolicyOf(this.metadata.input);
    return Promise.all(inputs.map((input, i) => decodeImage(input, policy, typeof input === 'string' ? input : `#${i}`)));
  }

  /** Class probabilities of decoded images already at the input size, in batches, with their feature maps when asked for. */
  async infer(images: readonly RawImage[], options: InferOptions = {}): Promise<Inference> {
    const { calibrated = true, batchSize = this.batchSize, signal } = options;
    const k = this.classes.length;
    const probabilities = new Float32Array(images.length * k);
    let features: FeatureMaps[] | null = options.features && this.onnx ? [] : null;
    for (let start = 0; start < images.length; start += batchSize) {
      signal?.throwIfAborted();
      const batch = images.slice(start, start + batchSize);
      const input = this.modelBatch(batch, start);
      if (!this.onnx) {
        probabilities.set(await this.tfjsProbabilities(input, batch.length), start * k);
        continue;
      }
      const result = await this.onnx.run(input, batch.length);
      probabilities.set(result.probabilities, start * k);
      const maps = result.outputs[FEATURE_LAYER_NAME];
      if (features && !maps) features = null;
      if (features && maps) features.push(...featureMapsOf(maps));
    }
    return { probabilities: calibrated ? calibrate(probabilities, k, this.metadata.temperature) : probabilities, features };
  }

  /** Calibrated class probabilities (n × classes) of decoded images already at the input size. */
  async probabilities(images: readonly RawImage[]): Promise<Float32Array> {
    return (await this.infer(images)).probabilities;
  }

  /** The model's own softmax, before the bundle's temperature (what a recalibration starts from). */
  async uncalibratedProbabilities(images: readonly RawImage[]): Promise<Float32Array> {
    return (await this.infer(images, { calibrated: false })).probabilities;
  }

  /** Decodes and classifies in batches, so that many large photos never sit in memory at once. */
  async predict(inputs: readonly (string | Buffer)[]): Promise<ImagePrediction[]> {
    const predictions: ImagePrediction[] = [];
    for (let start = 0; start < inputs.length; start += this.batchSize) {
      const batch = inputs.slice(start, start + this.batchSize);
      const probabilities = await this.probabilities(await this.decode(batch));
      batch.forEach((input, i) => {
        predictions.push(toPrediction(typeof input === 'string' ? input : `#${start + i}`, probabilities, i, this.classes, this.metadata.referBelow ?? 0));
      });
    }
    return predictions;
  }

  /** The prediction for one photo and the Grad-CAM of its top class, in closed form when the model allows (see predictWithHeatmap). */
  async predictWithHeatmap(photo: Buffer): Promise<{ prediction: ImagePrediction; heatmap: Heatmap }> {
    return predictWithHeatmap(this, photo);
  }

  /** A CAM (any method, by gradients on the TF.js model) of a photo, blended over the part the model saw. */
  async explain(photo: string | Buffer, options: ExplainImageOptions = {}): Promise<ImageExplanation> {
    return explainImage(this, photo, options);
  }

  /** A whole microscope photo through the tile model, with the default field settings (see FieldPredictor). */
  async predictField(photo: Buffer, options: FieldPredictOptions = {}): Promise<FieldPrediction> {
    this.defaultFieldPredictor ??= this.fieldPredictor();
    return this.defaultFieldPredictor.predict(photo, options);
  }

  /** Reads whole fields with this bundle; throws FieldUnsupportedError when it cannot. */
  fieldPredictor(options: FieldPredictorOptions = {}): FieldPredictor {
    return new FieldPredictor(this, options);
  }

  /** The TF.js model, rebuilt from the bundle's weights on first use (a TF.js backend must be registered). */
  tfModel(): Promise<tfl.LayersModel> {
    this.tfModelLoad ??= loadBundleModel(this.dir).then(({ model }) => model);
    return this.tfModelLoad;
  }

  /** The dense kernel of a global-average-pooling + dense head (the closed-form Grad-CAM's weights); null for other heads. */
  denseKernel(): Promise<Float32Array | null> {
    this.denseKernelLoad ??= this.tfModel().then((model) => (hasGapDenseHead(model) ? gapDenseKernel(model) : null));
    return this.denseKernelLoad;
  }

  async dispose(): Promise<void> {
    await this.onnx?.dispose();
    (await this.tfModelLoad?.catch(() => null))?.dispose();
  }

  /** The model's input batch: images checked against the input size and normalised as in training. */
  private modelBatch(images: readonly RawImage[], firstIndex: number): Float32Array {
    const { height, width, channels } = this.metadata.input;
    const size = height * width * channels;
    const batch = new Float32Array(images.length * size);
    images.forEach((image, i) => batch.set(modelInput(image, this.metadata.input, firstIndex + i), i * size));
    return batch;
  }

  private async tfjsProbabilities(input: Float32Array, n: number): Promise<Float32Array> {
    const model = await this.tfModel();
    const { height, width, channels } = this.metadata.input;
    const output = tf.tidy(() => model.predict(tf.tensor4d(input, [n, height, width, channels])) as tf.Tensor);
    const values = (await output.data()) as Float32Array;
    output.dispose();
    return values;
  }
}

export type { ModelBundle };

/** One feature map per image of an ONNX output [n, height, width, channels]. */
function featureMapsOf(maps: OnnxOutput): FeatureMaps[] {
  const [n, height, width, channels] = maps.shape;
  const size = height * width * channels;
  return Array.from({ length: n }, (_, i) => ({ data: maps.data.subarray(i * size, (i + 1) * size), height, width, channels }));
}
