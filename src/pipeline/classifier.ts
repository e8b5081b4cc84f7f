import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { decodeImage, type RawImage } from '../data/index.ts';
import { OnnxClassifier } from '../engine/onnx/index.ts';
import type { FeatureMaps } from '../explain/index.ts';
import { FEATURE_LAYER_NAME, loadBundleModel, readBundleMetadata, resizePolicyOf, type BundleMetadata } from '../models/index.ts';
import { modelInput, stainNormalisationOf } from '../preprocess/index.ts';

export interface ClassProbability {
  label: string;
  probability: number;
}

export interface Prediction {
  /** The file, or `#n` for the n-th buffer or image given. */
  source: string;
  top: ClassProbability;
  /** Every class, most probable first. */
  classes: ClassProbability[];
  /** The calibrated top probability is below the bundle's referral level. */
  uncertain: boolean;
}

export type Runtime = 'onnx' | 'tfjs';

export interface ClassifierOptions {
  /** onnx (default when the bundle has model.onnx) or tfjs. */
  runtime?: Runtime;
  threads?: number;
  batchSize?: number;
}

/**
 * A model bundle ready to classify images: decodes and normalises them as the model was trained,
 * runs them through onnxruntime (or TF.js) and applies the calibrated temperature.
 */
export class Classifier {
  private constructor(
    readonly metadata: BundleMetadata,
    readonly runtime: Runtime,
    private readonly onnx: OnnxClassifier | null,
    private readonly model: tfl.LayersModel | null,
    private readonly batchSize: number,
  ) {}

  static async load(bundleDir: string, options: ClassifierOptions = {}): Promise<Classifier> {
    const metadata = await readBundleMetadata(bundleDir);
    // A malformed or greyscale stain setting fails at load, not at the first prediction.
    stainNormalisationOf(metadata.input);
    const runtime = options.runtime ?? (metadata.onnx ? 'onnx' : 'tfjs');
    const batchSize = options.batchSize ?? 32;
    if (runtime === 'onnx') {
      if (!metadata.onnx) throw new Error(`bundle ${bundleDir} has no ONNX model; run 'gramlens export' or use --runtime tfjs`);
      const onnx = await OnnxClassifier.load(join(bundleDir, metadata.onnx.file), { threads: options.threads });
      return new Classifier(metadata, runtime, onnx, null, batchSize);
    }
    const { model } = await loadBundleModel(bundleDir);
    return new Classifier(metadata, runtime, null, model, batchSize);
  }

  get classes(): string[] {
    return this.metadata.classes;
  }

  /** Decodes files or encoded image buffers with the bundle's resize policy. */
  async decode(inputs: readonly (string | Buffer)[]): Promise<RawImage[]> {
    const policy = resizePolicyOf(this.metadata.input);
    return Promise.all(inputs.map((input, i) => decodeImage(input, policy, typeof input === 'string' ? input : `#${i}`)));
  }

  /** Calibrated class probabilities (n × classes) of decoded images already at the input size. */
  async probabilities(images: readonly RawImage[]): Promise<Float32Array> {
    return calibrate(await this.uncalibratedProbabilities(images), this.classes.length, this.metadata.temperature);
  }

  /** The model's own softmax, before the bundle's temperature (what a recalibration starts from). */
  async uncalibratedProbabilities(images: readonly RawImage[]): Promise<Float32Array> {
    const k = this.classes.length;
    const out = new Float32Array(images.length * k);
    for (let start = 0; start < images.length; start += this.batchSize) {
      const batch = images.slice(start, start + this.batchSize);
      out.set(await this.rawProbabilities(this.normalise(batch), batch.length), start * k);
    }
    return out;
  }

  /** The model's input batch: images checked against the input size and normalised as in training. */
  private normalise(images: readonly RawImage[]): Float32Array {
    const { height, width, channels } = this.metadata.input;
    const size = height * width * channels;
    const input = new Float32Array(images.length * size);
    images.forEach((image, i) => input.set(modelInput(image, this.metadata.input, i), i * size));
    return input;
  }

  /**
   * Calibrated probabilities and, when the ONNX model exposes it, the last feature map of each image
   * (for the closed-form Grad-CAM of a GAP + dense head).
   */
  async infer(image: RawImage): Promise<{ probabilities: Float32Array; features: FeatureMaps | null }> {
    const input = this.normalise([image]);
    if (!this.onnx) return { probabilities: await this.probabilities([image]), features: null };
    const { probabilities, outputs } = await this.onnx.run(input, 1);
    const features = outputs[FEATURE_LAYER_NAME];
    return {
      probabilities: calibrate(probabilities, this.classes.length, this.metadata.temperature),
      features: features ? { data: features.data, height: features.shape[1], width: features.shape[2], channels: features.shape[3] } : null,
    };
  }

  /** Decodes and classifies in batches, so that many large photos never sit in memory at once. */
  async predict(inputs: readonly (string | Buffer)[]): Promise<Prediction[]> {
    const predictions: Prediction[] = [];
    for (let start = 0; start < inputs.length; start += this.batchSize) {
      const batch = inputs.slice(start, start + this.batchSize);
      const probabilities = await this.probabilities(await this.decode(batch));
      batch.forEach((input, i) => {
        predictions.push(toPrediction(typeof input === 'string' ? input : `#${start + i}`, probabilities, i, this.classes, this.metadata.referBelow ?? 0));
      });
    }
    return predictions;
  }

  private async rawProbabilities(input: Float32Array, n: number): Promise<Float32Array> {
    if (this.onnx) return (await this.onnx.run(input, n)).probabilities;
    const { height, width, channels } = this.metadata.input;
    const output = tf.tidy(() => this.model!.predict(tf.tensor4d(input, [n, height, width, channels])) as tf.Tensor);
    const values = (await output.data()) as Float32Array;
    output.dispose();
    return values;
  }

  async dispose(): Promise<void> {
    await this.onnx?.dispose();
    this.model?.dispose();
  }
}

/** softmax(log p / T): the same as dividing the logits by T, since log p differs from them by a constant per row. */
export function calibrate(probabilities: Float32Array, k: number, temperature: number): Float32Array {
  if (temperature === 1) return probabilities;
  const out = new Float32Array(probabilities.length);
  for (let row = 0; row < probabilities.length / k; row++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, Math.log(Math.max(probabilities[row * k + c], 1e-30)) / temperature);
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const value = Math.exp(Math.log(Math.max(probabilities[row * k + c], 1e-30)) / temperature - max);
      out[row * k + c] = value;
      sum += value;
    }
    for (let c = 0; c < k; c++) out[row * k + c] /= sum;
  }
  return out;
}

export function toPrediction(source: string, probabilities: Float32Array, row: number, classes: readonly string[], referBelow: number): Prediction {
  const k = classes.length;
  const ranked = classes
    .map((label, c) => ({ label, probability: probabilities[row * k + c] }))
    .sort((a, b) => b.probability - a.probability);
  return { source, top: ranked[0], classes: ranked, uncertain: ranked[0].probability < referBelow };
}
