import { join } from 'node:path';
import sharp from 'sharp';
import type { AugmentConfig, AugmentPresetName } from '../augment/index.ts';
import { decodeImage, readManifest } from '../data/index.ts';
import { applyColormap, camFromFeatures, explain, gapDenseKernel, hasGapDenseHead, normalizeHeatmap, upsampleBilinear, type Heatmap } from '../explain/index.ts';
import { loadBundleModel, modelVersionOf, resizePolicyOf, type BundleMetadata, type LabelTreeNode } from '../models/index.ts';
import { modelInput } from '../preprocess/index.ts';
import { Classifier, toPrediction } from './classifier.ts';
import { visibleRegion } from './explain.ts';
import { FieldPredictor, toServedField, type ServedFieldPrediction } from './field.ts';
import { fitClassifier } from './fit.ts';
import type { TrainConfig } from '../train/index.ts';
import type * as tfl from '@tensorflow/tfjs-layers';

export interface ServedPrediction {
  classes: { name: string; probability: number }[];
  top: { name: string; probability: number };
  uncertain: boolean;
  heatmapPng: Buffer | null;
  modelVersion: string;
  tree?: LabelTreeNode[];
}

/** A loaded bundle: ONNX for the probabilities, the heatmap from its feature output in closed form (or by gradients). */
class LoadedModel {
  /** Loaded on the first whole-field request (its ONNX session is separate). */
  private field: Promise<FieldPredictor> | null = null;

  private constructor(
    readonly classifier: Classifier,
    private readonly model: tfl.LayersModel,
    private readonly denseKernel: Float32Array | null,
    private readonly bundleDir: string,
  ) {}

  static async load(bundleDir: string): Promise<LoadedModel> {
    const classifier = await Classifier.load(bundleDir);
    const { model } = await loadBundleModel(bundleDir);
    return new LoadedModel(classifier, model, hasGapDenseHead(model) ? gapDenseKernel(model) : null, bundleDir);
  }

  async predictField(photo: Buffer, options: { pxPerUm?: number; force: boolean }): Promise<ServedFieldPrediction> {
    this.field ??= FieldPredictor.load(this.bundleDir, { denseKernel: this.denseKernel });
    return toServedField(await (await this.field).predict(photo, { ...options, explain: true }));
  }

  get metadata(): BundleMetadata {
    return this.classifier.metadata;
  }

  async predict(image: Buffer): Promise<ServedPrediction> {
    const { input, classes, referBelow } = this.metadata;
    const decoded = await decodeImage(image, resizePolicyOf(input), 'upload');
    const { probabilities, features } = await this.classifier.infer(decoded);
    const prediction = toPrediction('upload', probabilities, 0, classes, referBelow ?? 0);
    const target = classes.indexOf(prediction.top.label);
    let heatmap: Heatmap;
    if (features && this.denseKernel) {
      heatmap = camFromFeatures(features, this.denseKernel, target);
    } else {
      heatmap = explain(this.model, modelInput(decoded, input), { method: 'gradcam', targetClass: target });
    }
    return {
      classes: prediction.classes.map(({ label, probability }) => ({ name: label, probability })),
      top: { name: prediction.top.label, probability: prediction.top.probability },
      uncertain: prediction.uncertain,
      heatmapPng: await heatmapLayer(image, heatmap, this.metadata),
      modelVersion: modelVersionOf(this.metadata),
      tree: this.metadata.labelTree,
    };
  }

  async dispose(): Promise<void> {
    await this.classifier.dispose();
    this.model.dispose();
    await (await this.field?.catch(() => null))?.dispose();
  }
}

/**
 * The heatmap as a colour layer the size of the (downscaled) photo: coloured over the region the
 * model saw, transparent elsewhere, so a client can lay it over the photo with its own opacity.
 */
async function heatmapLayer(image: Buffer, heatmap: Heatmap, metadata: BundleMetadata, maxSide = 768): Promise<Buffer> {
  const { width = 0, height = 0, orientation } = await sharp(image).metadata();
  const [photoWidth, photoHeight] = orientation && orientation >= 5 ? [height, width] : [width, height];
  const scale = Math.min(1, maxSide / Math.max(photoWidth, photoHeight));
  const outWidth = Math.max(1, Math.round(photoWidth * scale));
  const outHeight = Math.max(1, Math.round(photoHeight * scale));
  const region = visibleRegion(photoWidth, photoHeight, metadata.input.width, metadata.input.height, metadata.input.fit);
  const left = Math.round(region.left * scale);
  const top = Math.round(region.top * scale);
  const regionWidth = Math.max(1, Math.min(outWidth - left, Math.round(region.width * scale)));
  const regionHeight = Math.max(1, Math.min(outHeight - top, Math.round(region.height * scale)));
  const colours = applyColormap(normalizeHeatmap(upsampleBilinear(heatmap, regionHeight, regionWidth)).map, 'turbo');
  const layer = await sharp(Buffer.from(colours), { raw: { width: regionWidth, height: regionHeight, channels: 3 } }).ensureAlpha(1).png().toBuffer();
  return sharp({ create: { width: outWidth, height: outHeight, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
    .composite([{ input: layer, left, top }])
    .png()
    .toBuffer();
}

/**
 * The model behind the HTTP API's predict route (structurally the server's Predictor): predicts
 * with the active bundle and swaps in a newly activated one only once it has loaded.
 */
export class BundlePredictor {
  private current: LoadedModel | null = null;

  static async load(bundleDir: string | null): Promise<BundlePredictor> {
    const predictor = new BundlePredictor();
    if (bundleDir) predictor.current = await LoadedModel.load(bundleDir);
    return predictor;
  }

  get metadata(): BundleMetadata | null {
    return this.current?.metadata ?? null;
  }

  async predict(image: Buffer): Promise<ServedPrediction> {
    if (!this.current) throw new Error('no model is active: an admin must activate one first');
    return this.current.predict(image);
  }

  async predictField(photo: Buffer, options: { pxPerUm?: number; force: boolean }): Promise<ServedFieldPrediction> {
    if (!this.current) throw new Error('no model is active: an admin must activate one first');
    return this.current.predictField(photo, options);
  }

  async activate(model: { path: string }): Promise<void> {
    const next = await LoadedModel.load(model.path);
    const previous = this.current;
    this.current = next;
    await previous?.dispose();
  }

  async dispose(): Promise<void> {
    await this.current?.dispose();
    this.current = null;
  }
}

export interface ProjectTrainerOptions {
  /** Where each run's folder (checkpoint, bundle, report) is created. */
  runsDir: string;
  size: [number, number];
  channels?: 1 | 3;
  train?: Partial<TrainConfig>;
  augment?: AugmentConfig | AugmentPresetName;
}

/** Trains on a labelled project's manifest (structurally the server's Trainer). */
export function createProjectTrainer(options: ProjectTrainerOptions) {
  return {
    async start(projectId: number, manifestCsvPath: string, onProgress: (progress: Record<string, unknown>) => void, signal: AbortSignal): Promise<{ bundlePath: string }> {
      const dataset = await readManifest(manifestCsvPath);
      const runDir = join(options.runsDir, `project-${projectId}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      const result = await fitClassifier(dataset, {
        size: options.size,
        channels: options.channels,
        train: options.train,
        augment: options.augment ?? 'microscopy',
        runDir,
        signal,
        onProgress: (event) => {
          if (event.kind === 'train' && event.event.kind === 'step') {
            const e = event.event;
            onProgress({ stage: 'training', epoch: e.epoch + 1, epochs: e.epochs, step: e.step, steps: e.stepsPerEpoch, loss: e.loss, accuracy: e.accuracy, etaSeconds: Math.round(e.etaSeconds) });
          } else if (event.kind === 'train' && event.event.kind === 'epoch') {
            const r = event.event.record;
            onProgress({ stage: 'epoch', epoch: r.epoch + 1, valLoss: r.valLoss, valAccuracy: r.valAccuracy });
          } else if (event.kind === 'decode') {
            onProgress({ stage: 'decoding', split: event.split, done: event.done, total: event.total });
          } else if (event.kind === 'stage') {
            onProgress({ stage: event.message });
          }
        },
      });
      if (result.status === 'cancelled') throw new Error('training was cancelled');
      return { bundlePath: result.bundleDir };
    },
  };
}
