import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Refusal } from '../contract/index.ts';
import { decodeImage, type RawImage } from '../data/index.ts';
import { OnnxClassifier, type OnnxPrediction } from '../engine/onnx/index.ts';
import { gapDenseKernel, hasGapDenseHead } from '../explain/index.ts';
import { FEATURE_LAYER_NAME, loadBundleModel, loadEnsembleMember, modelVersionOf, readBundleMetadata, resizePolicyOf, type BundleMetadata } from '../models/index.ts';
import { stainNormalisationOf } from '../preprocess/index.ts';
import { explainImage, predictWithHeatmap, type ExplainImageOptions, type ImageExplanation, type PhotoWithHeatmap } from './explain.ts';
import { FieldPredictor, type FieldPrediction, type FieldPredictorOptions } from './field-predictor.ts';
import { FieldUnsupportedError, type FieldPredictOptions } from './field-reading.ts';
import { guarded, routePhoto, type PhotoRoute } from './guard.ts';
import { InputGuard, photoSize } from './input-check.ts';
import { inferImages, type Inference, type InferOptions } from './infer.ts';
import { refusedImage, toPrediction, type ImagePrediction } from './prediction.ts';

export type Runtime = 'onnx' | 'tfjs';

/** A photo sent as one image, as read: a tile's prediction (or refusal), or a whole field's. */
export type PhotoReading = { kind: 'image'; prediction: ImagePrediction } | { kind: 'field'; reason: string; field: FieldPrediction };

export interface LoadBundleOptions {
  /** onnx (default when the bundle has model.onnx) or tfjs. */
  runtime?: Runtime;
  /** Intra-op threads of the ONNX session; default: all cores. */
  threads?: number;
  /** Images per batch of `predict` and `probabilities` (default 32). */
  batchSize?: number;
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
 * onnxruntime (or TF.js) in batches and applies the calibrated temperature. Every answer is guarded
 * (`guard`): an image that fails the image checks or whose embedding is unlike the training images'
 * gets a refusal, never a class. The TF.js model is read from the weights only when something needs
 * it (a gradient-based CAM, the dense kernel of the closed-form one, the tfjs runtime), and then kept.
 */
class ModelBundle {
  readonly guard: InputGuard;
  private tfModelLoad: Promise<tfl.LayersModel> | null;
  private tfMembersLoad: Promise<tfl.LayersModel[]> | null = null;
  private denseKernelLoad: Promise<Float32Array | null> | null = null;
  private defaultFieldPredictor: FieldPredictor | null = null;
  /** The TF.js model with its feature map as a second output (tfjs runtime). */
  private tfjsWithFeatures: tfl.LayersModel | null = null;

  constructor(
    readonly dir: string,
    readonly metadata: BundleMetadata,
    readonly runtime: Runtime,
    private readonly onnx: OnnxClassifier | null,
    tfModel: tfl.LayersModel | null,
    readonly batchSize: number,
  ) {
    this.tfModelLoad = tfModel ? Promise.resolve(tfModel) : null;
    this.guard = new InputGuard(metadata);
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

  /** Class probabilities of decoded images already at the input size, in batches, with their feature maps when asked for (inferImages). */
  async infer(images: readonly RawImage[], options: InferOptions = {}): Promise<Inference> {
    const runner = { run: (batch: Float32Array, n: number) => (this.onnx ? this.onnx.run(batch, n) : this.tfjsRun(batch, n)) };
    return inferImages(runner, this.metadata, images, { ...options, batchSize: options.batchSize ?? this.batchSize });
  }

  /** Calibrated class probabilities (n × classes) of decoded images already at the input size. */
  async probabilities(images: readonly RawImage[]): Promise<Float32Array> {
    return (await this.infer(images)).probabilities;
  }

  /** The model's own softmax, before the bundle's temperature (what a recalibration starts from). */
  async uncalibratedProbabilities(images: readonly RawImage[]): Promise<Float32Array> {
    return (await this.infer(images, { calibrated: false })).probabilities;
  }

  /**
   * Checks, decodes and classifies in batches, so that many large photos never sit in memory at
   * once. An image that fails the checks, or whose embedding is unfamiliar, gets a refusal.
   */
  async predict(inputs: readonly (string | Buffer)[]): Promise<ImagePrediction[]> {
    const predictions: ImagePrediction[] = [];
    for (let start = 0; start < inputs.length; start += this.batchSize) {
      const batch = inputs.slice(start, start + this.batchSize);
      const sources = batch.map((input, i) => (typeof input === 'string' ? input : `#${start + i}`));
      // One photo at a time: each is decoded at full size for the image checks.
      const refusals: (Refusal | null)[] = [];
      for (const input of batch) refusals.push(await this.guard.checkPhoto(input));
      const images = await this.decode(batch.filter((_, i) => refusals[i] === null));
      const { probabilities, features } = await this.infer(images, { features: this.guard.scoresEmbeddings });
      const readable = guarded(images, features);
      let row = 0;
      batch.forEach((_, i) => {
        const refused = refusals[i];
        if (refused) return predictions.push(refusedImage(sources[i], refused));
        const refusal = this.guard.refusalOf(readable[row]);
        predictions.push(refusal ? refusedImage(sources[i], refusal) : toPrediction(sources[i], probabilities, row, this.classes, this.metadata.referBelow ?? 0));
        row++;
      });
    }
    return predictions;
  }

  /**
   * Photos sent as single images, each read as its route says (whole-field by default, see
   * routePhoto): tiles checked and classified in batches, whole fields through predictField, the
   * rest refused. Yields in the order given, a batch at a time, so that a whole field's layers are
   * not all held at once.
   */
  async *readPhotos(inputs: readonly (string | Buffer)[], options: { signal?: AbortSignal } = {}): AsyncGenerator<PhotoReading> {
    for (let start = 0; start < inputs.length; start += this.batchSize) {
      const batch = inputs.slice(start, start + this.batchSize);
      const routes = await Promise.all(batch.map((input) => this.routePhoto(input)));
      const tiles = batch.filter((_, i) => routes[i].kind === 'image');
      const tilePredictions = await this.predict(tiles);
      for (const [i, input] of batch.entries()) {
        options.signal?.throwIfAborted();
        const route = routes[i];
        const source = typeof input === 'string' ? input : `#${start + i}`;
        if (route.kind === 'refuse') yield { kind: 'image', prediction: refusedImage(source, route.refusal) };
        else if (route.kind === 'image') yield { kind: 'image', prediction: { ...tilePredictions.shift()!, source } };
        else yield { kind: 'field', reason: route.reason, field: await this.predictField(typeof input === 'string' ? await readFile(input) : input, { signal: options.signal }) };
      }
    }
  }

  /** Whether a photo sent as one image is read as a tile, as a whole field, or refused (see routePhoto). */
  async routePhoto(photo: string | Buffer): Promise<PhotoRoute> {
    return routePhoto(await photoSize(photo), this.metadata, this.fieldSupport());
  }

  /** Null when the bundle reads whole fields, else why not. */
  fieldSupport(): string | null {
    try {
      this.defaultFieldPredictor ??= this.fieldPredictor();
      return null;
    } catch (error) {
      if (error instanceof FieldUnsupportedError) return error.message;
      throw error;
    }
  }

  /** The prediction for one photo and the Grad-CAM of its top class, in closed form when the model allows (see predictWithHeatmap); a refusal without a heatmap. */
  async predictWithHeatmap(photo: Buffer): Promise<PhotoWithHeatmap> {
    return predictWithHeatmap(this, photo);
  }

  /** A CAM (any method, by gradients on the TF.js model) of a photo, blended over the part the model saw; or its refusal. */
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

  /** An ensemble's members on TF.js, the first being tfModel(); [tfModel()] for a single model. */
  private tfMembers(): Promise<tfl.LayersModel[]> {
    this.tfMembersLoad ??= this.tfModel().then(async (first) => {
      const others: tfl.LayersModel[] = [];
      try {
        for (let i = 1; i < (this.metadata.ensemble?.seeds.length ?? 1); i++) others.push(await loadEnsembleMember(this.dir, this.metadata, i));
      } catch (error) {
        for (const member of others) member.dispose();
        throw error;
      }
      return [first, ...others];
    });
    return this.tfMembersLoad;
  }

  /** The dense kernel of a global-average-pooling + dense head (the closed-form Grad-CAM's weights); null for other heads. */
  denseKernel(): Promise<Float32Array | null> {
    this.denseKernelLoad ??= this.tfModel().then((model) => (hasGapDenseHead(model) ? gapDenseKernel(model) : null));
    return this.denseKernelLoad;
  }

  async dispose(): Promise<void> {
    await this.onnx?.dispose();
    (await this.tfMembersLoad?.catch(() => null))?.slice(1).forEach((member) => member.dispose());
    (await this.tfModelLoad?.catch(() => null))?.dispose();
  }

  /** The TF.js model's probabilities (an ensemble's mean) and feature maps (its first member's), in the ONNX session's shape. */
  private async tfjsRun(input: Float32Array, n: number): Promise<OnnxPrediction> {
    const [model, ...others] = await this.tfMembers();
    this.tfjsWithFeatures ??= tfl.model({ inputs: model.inputs, outputs: [model.outputs[0], model.getLayer(FEATURE_LAYER_NAME).output as tfl.SymbolicTensor] });
    const withFeatures = this.tfjsWithFeatures;
    const { height, width, channels } = this.metadata.input;
    const [probabilities, features] = tf.tidy(() => {
      const batch = tf.tensor4d(input, [n, height, width, channels]);
      const [first, maps] = withFeatures.predict(batch) as tf.Tensor[];
      if (others.length === 0) return [first, maps];
      return [tf.div(tf.addN([first, ...others.map((member) => member.predict(batch) as tf.Tensor)]), others.length + 1), maps];
    });
    const result = { probabilities: (await probabilities.data()) as Float32Array, outputs: { [FEATURE_LAYER_NAME]: { data: (await features.data()) as Float32Array, shape: features.shape } } };
    tf.dispose([probabilities, features]);
    return result;
  }
}

export type { ModelBundle };
