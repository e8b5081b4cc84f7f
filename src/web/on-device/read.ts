import type { FieldAnswer, Prediction, Refusal, SessionUser } from '../../contract/index.ts';
import { FieldReader, FieldUnsupportedError, fieldSummaryOf, heatmapLayer, photoToInput, readTile, routePhoto, type RgbPhoto } from '../../inference/portable.ts';
import { DEVICE_PREDICTION_PREFIX } from './ids.ts';
import type { LoadedDeviceModel } from './model.ts';
import { decodeInPage, layerUrl } from './pixels.ts';

/** Longest side of the tile heatmap layer, as the server serves it. */
const HEATMAP_MAX_SIDE = 768;

export interface DeviceRequest {
  photo: Blob;
  specimenType: string;
  caseId: string | null;
  /** Read as a whole field whatever its size (the "Whole microscope field" switch). */
  wholeField: boolean;
  pxPerUm: number | null;
  /** Predict although the quality check failed. */
  force: boolean;
  user: SessionUser;
}

let made = 0;

/**
 * A photo read in the page by the server's model, with the same code as the server: as a tile, a
 * whole field or a refusal, by the same rule as POST /api/predict. The answer has the shapes of the
 * server's (a Prediction, or a FieldAnswer for a field), its images as object URLs; `id` starts with
 * "device-" (it is not in the server's audit trail).
 */
export async function readOnDevice({ model, info }: LoadedDeviceModel, request: DeviceRequest): Promise<Prediction | FieldAnswer> {
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
  const record = {
    id: `${DEVICE_PREDICTION_PREFIX}${Date.now()}-${++made}`,
    createdAt: new Date().toISOString(),
    user: { id: request.user.id, username: request.user.username },
    image: { sha256: '', url: URL.createObjectURL(request.photo) },
    modelId: null,
    modelVersion: info.modelVersion,
    model: null,
    tree: metadata.labelTree,
    specimenType: request.specimenType,
    caseId: request.caseId,
    feedback: null,
    feedbackHistory: [],
  };
  const refused = (refusal: Refusal): Prediction => ({ ...record, refusal, classes: [], top: null, uncertain: false, heatmapUrl: null });
  if (route.kind === 'refuse') return refused(route.refusal);
  if (route.kind === 'image') {
    const { prediction, heatmap } = await readTile(model, photo, photoToInput(photo, metadata.input));
    if (prediction.refusal !== null) return refused(prediction.refusal);
    const heatmapUrl = heatmap ? await layerUrl(heatmapLayer(photo.width, photo.height, heatmap, metadata.input, HEATMAP_MAX_SIDE)) : null;
    return { ...record, refusal: null, classes: prediction.classes, top: prediction.top, uncertain: prediction.uncertain, heatmapUrl };
  }
  if (!reader) throw new Error(`This model cannot read whole fields: ${fieldSupport}`);
  return readField(reader, photo, request, record, refused);
}

async function readField(
  reader: FieldReader,
  photo: RgbPhoto,
  request: DeviceRequest,
  record: Omit<Prediction, 'refusal' | 'classes' | 'top' | 'uncertain' | 'heatmapUrl'>,
  refused: (refusal: Refusal) => Prediction,
): Promise<FieldAnswer> {
  const field = await reader.read(photo, { pxPerUm: request.pxPerUm ?? undefined, force: request.force, explain: true });
  const answer = { quality: { ok: field.quality.ok, reasons: field.quality.reasons, measures: field.quality.measures }, warnings: field.warnings };
  if (field.refusal) return { ...answer, prediction: refused(field.refusal) };
  const summary = fieldSummaryOf(field);
  if (!summary || !field.top) return { ...answer, prediction: null };
  const [tileMapUrl, heatmapUrl] = await Promise.all([field.tileMap ? layerUrl(field.tileMap) : null, field.heatmap ? layerUrl(field.heatmap) : null]);
  return {
    ...answer,
    prediction: { ...record, refusal: null, classes: field.classes, top: field.top, uncertain: field.uncertain, heatmapUrl, field: { ...summary, tileMapUrl } },
  };
}
