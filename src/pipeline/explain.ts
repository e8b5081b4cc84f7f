import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { decodeImage } from '../data/index.ts';
import { explain, heatmapToJson, renderOverlayPng, type CamMethod, type ColormapName, type Explanation, type HeatmapJson } from '../explain/index.ts';
import { loadBundleModel, resizePolicyOf, type BundleMetadata } from '../models/index.ts';
import { modelInput } from '../preprocess/index.ts';
import { calibrate, toPrediction, type Prediction } from './classifier.ts';
import type * as tfl from '@tensorflow/tfjs-layers';

export interface ExplainFileOptions {
  method?: CamMethod;
  layer?: string;
  /** Class to explain (name or index); default: the predicted class. */
  targetClass?: string | number;
  alpha?: number;
  colormap?: ColormapName;
  /** Longest side of the overlay PNG (default 1024). */
  maxSide?: number;
}

export interface FileExplanation {
  prediction: Prediction;
  explanation: Explanation;
  /** The CAM at feature-map resolution, for other tools. */
  map: HeatmapJson;
  /** The heatmap blended over the part of the photo the model saw. */
  overlayPng: Buffer;
}

/** The rectangle of a photo that a resize policy feeds to the network (all of it, except with 'cover'). */
export function visibleRegion(photoWidth: number, photoHeight: number, inputWidth: number, inputHeight: number, fit: 'cover' | 'contain' | 'fill') {
  if (fit !== 'cover') return { left: 0, top: 0, width: photoWidth, height: photoHeight };
  const scale = Math.max(inputWidth / photoWidth, inputHeight / photoHeight);
  const width = Math.min(photoWidth, Math.round(inputWidth / scale));
  const height = Math.min(photoHeight, Math.round(inputHeight / scale));
  return { left: Math.floor((photoWidth - width) / 2), top: Math.floor((photoHeight - height) / 2), width, height };
}

/** Explains model decisions on image files with a bundle's TF.js model (any CAM method). */
export class BundleExplainer {
  private constructor(
    private readonly model: tfl.LayersModel,
    readonly metadata: BundleMetadata,
  ) {}

  static async load(bundleDir: string): Promise<BundleExplainer> {
    const { model, metadata } = await loadBundleModel(bundleDir);
    return new BundleExplainer(model, metadata);
  }

  async explainFile(file: string, options: ExplainFileOptions = {}): Promise<FileExplanation> {
    const { input, classes, temperature, referBelow } = this.metadata;
    const image = await decodeImage(file, resizePolicyOf(input));
    const explanation = explain(this.model, modelInput(image, input), {
      method: options.method ?? 'gradcam',
      layer: options.layer,
      targetClass: options.targetClass,
      classNames: classes,
    });
    const probabilities = calibrate(explanation.probabilities, classes.length, temperature);
    const prediction = toPrediction(file, probabilities, 0, classes, referBelow ?? 0);

    const photo = await sharp(await readFile(file)).rotate().removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    const region = visibleRegion(photo.info.width, photo.info.height, input.width, input.height, input.fit);
    const maxSide = options.maxSide ?? 1024;
    const seen = await sharp(photo.data, { raw: { width: photo.info.width, height: photo.info.height, channels: 3 } })
      .extract(region)
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const overlayPng = await renderOverlayPng({ data: new Uint8Array(seen.data), width: seen.info.width, height: seen.info.height }, explanation, {
      alpha: options.alpha,
      colormap: options.colormap,
    });
    return { prediction, explanation, map: heatmapToJson(explanation), overlayPng };
  }

  dispose(): void {
    this.model.dispose();
  }
}
