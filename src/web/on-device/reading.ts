import type { ClassProbability, FieldSummary, Refusal } from '../../contract/index.ts';
import { FieldReader, FieldUnsupportedError, HEATMAP_LAYER_MAX_SIDE, fieldSummaryOf, heatmapLayer, photoToInput, readTile, routePhoto } from '../../inference/portable.ts';
import type { LoadedDeviceModel } from './model.ts';
import { decodeInPage, layerPng } from './pixels.ts';

/** What the page asks of the model on the device. */
export interface ReadRequest {
  photo: Blob;
  /** Read as a whole field whatever its size (the "Whole microscope field" switch). */
  wholeField: boolean;
  pxPerUm: number | null;
  /** Predict although the quality check failed. */
  force: boolean;
}

interface Answer {
  classes: ClassProbability[];
  top: ClassProbability;
  uncertain: boolean;
  /** PNG layers over the photo. */
  heatmap: Blob | null;
}

/** A photo read on the device, with its layers as PNG: plain data, passed from the worker to the page. */
export type DeviceReading =
  | { kind: 'refused'; refusal: Refusal }
  | ({ kind: 'tile' } & Answer)
  | {
      kind: 'field';
      quality: { ok: boolean; reasons: string[]; measures: unknown };
      warnings: string[];
      refusal: Refusal | null;
      answer: (Answer & { summary: FieldSummary; tileMap: Blob | null }) | null;
    };

/**
 * A photo read with the server's own modules: as a tile, a whole field or a refusal, by the same
 * rule as POST /api/predict (routePhoto), the field by the FieldReader, the layers drawn as PNG.
 */
export async function readPhoto({ model }: LoadedDeviceModel, request: ReadRequest): Promise<DeviceReading> {
  const photo = await decodeInPage(request.photo);
  const { metadata } = model;
  let reader: FieldReader | null = null;
  let fieldSupport: string | null = null;
  try {
    reader = new FieldReader(model);
  } catch (error) {
    if (!(error instanceof FieldUnsupportedError)) throw error;
    fieldSupport = error.message;
  }
  const route = request.wholeField ? ({ kind: 'field' } as const) : routePhoto(photo, metadata, fieldSupport);
  if (route.kind === 'refuse') return { kind: 'refused', refusal: route.refusal };
  if (route.kind === 'image') {
    const { prediction, heatmap } = await readTile(model, photo, photoToInput(photo, metadata.input));
    if (prediction.refusal !== null) return { kind: 'refused', refusal: prediction.refusal };
    const layer = heatmap ? await layerPng(heatmapLayer(photo.width, photo.height, heatmap, metadata.input, HEATMAP_LAYER_MAX_SIDE)) : null;
    return { kind: 'tile', classes: prediction.classes, top: prediction.top, uncertain: prediction.uncertain, heatmap: layer };
  }
  if (!reader) throw new Error(`This model cannot read whole fields: ${fieldSupport}`);
  const field = await reader.read(photo, { pxPerUm: request.pxPerUm ?? undefined, force: request.force, explain: true });
  const reading = { kind: 'field' as const, quality: { ok: field.quality.ok, reasons: field.quality.reasons, measures: field.quality.measures }, warnings: field.warnings, refusal: field.refusal };
  const summary = fieldSummaryOf(field);
  if (field.refusal || !summary || !field.top) return { ...reading, answer: null };
  const [tileMap, heatmap] = await Promise.all([field.tileMap ? layerPng(field.tileMap) : null, field.heatmap ? layerPng(field.heatmap) : null]);
  return { ...reading, answer: { classes: field.classes, top: field.top, uncertain: field.uncertain, summary, tileMap, heatmap } };
}
