import { readFile } from 'node:fs/promises';
import { decodeImage } from '../data/index.ts';
import { explain, heatmapToJson, type CamMethod, type ColourMapName, type Explanation, type Heatmap, type HeatmapJson } from '../explain/index.ts';
import { decodePhoto } from '../fields/index.ts';
import { resizePolicyOf } from '../models/index.ts';
import { modelInput } from '../preprocess/index.ts';
import type { ModelBundle } from './bundle.ts';
import { renderHeatmapOverPhoto } from './heatmap-photo.ts';
import { readTile } from './tile-reading.ts';
import { calibrate, refusedImage, toPrediction, type AnsweredImage, type RefusedImage } from './prediction.ts';

export interface ExplainImageOptions {
  method?: CamMethod;
  layer?: string;
  /** Class to explain (name or index); default: the predicted class. */
  targetClass?: string | number;
  alpha?: number;
  colormap?: ColourMapName;
  /** Longest side of the overlay PNG (default 1024). */
  maxSide?: number;
}

/** A served photo's prediction with its Grad-CAM, or its refusal without one. */
export type PhotoWithHeatmap = { prediction: AnsweredImage; heatmap: Heatmap } | { prediction: RefusedImage; heatmap: null };

/** An explanation, or a refusal with nothing to explain. */
export type ImageExplanation = ExplainedImage | { prediction: RefusedImage; explanation: null; map: null; overlayPng: null };

export interface ExplainedImage {
  /** From the TF.js model's own probabilities, calibrated. */
  prediction: AnsweredImage;
  explanation: Explanation;
  /** The CAM at feature-map resolution, for other tools. */
  map: HeatmapJson;
  /** The heatmap blended over the part of the photo the model saw. */
  overlayPng: Buffer;
}

/**
 * Explains the model's decision on a photo (a file, or encoded bytes named `#0`) with a CAM by
 * gradients on the TF.js model; a photo the bundle's guard refuses gets its refusal instead.
 */
export async function explainImage(bundle: ModelBundle, photo: string | Buffer, options: ExplainImageOptions = {}): Promise<ImageExplanation> {
  const { input, classes, temperature, referBelow } = bundle.metadata;
  const source = typeof photo === 'string' ? photo : '#0';
  const image = await decodeImage(photo, resizePolicyOf(input));
  let refusal = await bundle.guard.checkPhoto(photo);
  if (!refusal && bundle.guard.scoresEmbeddings) refusal = bundle.guard.refusalOf({ image, features: (await bundle.infer([image], { features: true })).features?.[0] ?? null });
  if (refusal) return { prediction: refusedImage(source, refusal), explanation: null, map: null, overlayPng: null };
  const explanation = explain(await bundle.tfModel(), modelInput(image, input), {
    method: options.method ?? 'gradcam',
    layer: options.layer,
    targetClass: options.targetClass,
    classNames: classes,
  });
  const probabilities = calibrate(explanation.probabilities, classes.length, temperature);
  const prediction = toPrediction(source, probabilities, 0, classes, referBelow ?? 0);
  const bytes = typeof photo === 'string' ? await readFile(photo) : photo;
  const overlayPng = await renderHeatmapOverPhoto(bytes, explanation, input, { style: 'blend', maxSide: options.maxSide ?? 1024, alpha: options.alpha, colormap: options.colormap });
  return { prediction, explanation, map: heatmapToJson(explanation), overlayPng };
}

/**
 * The prediction for one uploaded photo and the Grad-CAM of its top class (readTile, the code the web
 * app runs on the device): in closed form from the ONNX model's feature output when the head is
 * global average pooling + dense, by gradients on the TF.js model otherwise. A refused photo gets no heatmap.
 */
export async function predictWithHeatmap(bundle: ModelBundle, photo: Buffer): Promise<PhotoWithHeatmap> {
  const { input, classes } = bundle.metadata;
  const upright = await decodePhoto(photo);
  const image = await decodeImage(photo, resizePolicyOf(input), 'upload');
  const reading = await readTile(bundle, upright, image);
  if (reading.prediction.refusal !== null || reading.heatmap) return reading as PhotoWithHeatmap;
  const heatmap = explain(await bundle.tfModel(), modelInput(image, input), { method: 'gradcam', targetClass: classes.indexOf(reading.prediction.top.label) });
  return { prediction: reading.prediction, heatmap };
}
