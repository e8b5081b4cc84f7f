import type { RawImage } from '../data/index.ts';
import { camFromFeatures, type Heatmap } from '../explain/portable.ts';
import { resampleRegion } from '../fields/portable.ts';
import type { InputPolicy } from '../models/portable.ts';
import type { ReadingModel, RgbPhoto } from './field-reading.ts';
import { visibleRegion } from './heatmap-layer.ts';
import { refusedImage, toPrediction, type AnsweredImage, type RefusedImage } from './prediction.ts';

/** A photo read as one tile: its prediction and the closed-form Grad-CAM of its top class (null when the model's head has none), or its refusal. */
export type TileReading = { prediction: AnsweredImage; heatmap: Heatmap | null } | { prediction: RefusedImage; heatmap: null };

/**
 * One photo as a tile: the image checks on the whole photo, the model on `image` (the photo at the
 * input size), the out-of-distribution check on its embedding, the calibrated classes with the
 * referral flag, and the Grad-CAM of the top class from the 'features' output. No Node APIs: the
 * server (predictWithHeatmap) and the web app run this same code.
 */
export async function readTile(model: ReadingModel, photo: RgbPhoto, image: RawImage, source = 'upload'): Promise<TileReading> {
  const { classes, referBelow } = model.metadata;
  const checked = model.guard.checkPixels(photo.rgb, photo.width, photo.height);
  if (checked) return { prediction: refusedImage(source, checked), heatmap: null };
  const { probabilities, features } = await model.infer([image], { features: true });
  const unfamiliar = model.guard.refusalOf({ image, features: features?.[0] ?? null });
  if (unfamiliar) return { prediction: refusedImage(source, unfamiliar), heatmap: null };
  const prediction = toPrediction(source, probabilities, 0, classes, referBelow ?? 0);
  const kernel = await model.denseKernel();
  const heatmap = features && kernel ? camFromFeatures(features[0], kernel, classes.indexOf(prediction.top.label)) : null;
  return { prediction, heatmap };
}

/**
 * A colour photo at the model's input size by its resize policy, in the page (the server resizes
 * with sharp): the same pixels when the photo is already that size, a triangle filter otherwise.
 */
export function photoToInput(photo: RgbPhoto, input: Pick<InputPolicy, 'width' | 'height' | 'fit'>): RawImage {
  const { width, height, fit } = input;
  if (fit !== 'contain') {
    const region = visibleRegion(photo.width, photo.height, width, height, fit);
    return { data: resampleRegion(photo.rgb, photo.width, photo.height, region, width, height), height, width, channels: 3 };
  }
  // 'contain': the whole photo, centred, the rest black (the default pad value).
  const scale = Math.min(width / photo.width, height / photo.height);
  const innerWidth = Math.max(1, Math.round(photo.width * scale));
  const innerHeight = Math.max(1, Math.round(photo.height * scale));
  const inner = resampleRegion(photo.rgb, photo.width, photo.height, { left: 0, top: 0, width: photo.width, height: photo.height }, innerWidth, innerHeight);
  const data = new Float32Array(width * height * 3);
  const left = Math.floor((width - innerWidth) / 2);
  const top = Math.floor((height - innerHeight) / 2);
  for (let y = 0; y < innerHeight; y++) data.set(inner.subarray(y * innerWidth * 3, (y + 1) * innerWidth * 3), ((top + y) * width + left) * 3);
  return { data, height, width, channels: 3 };
}
