import type { FieldAnswer, Prediction, Refusal, SessionUser } from '../../contract/index.ts';
import type { DeviceWorker } from './device-worker.ts';
import { DEVICE_PREDICTION_PREFIX } from './ids.ts';
import type { ReadRequest } from './reading.ts';

export interface DeviceRequest extends ReadRequest {
  specimenType: string;
  caseId: string | null;
  user: SessionUser;
}

let made = 0;

/**
 * A photo read on the device by the server's model, with the server's own code (in the worker):
 * the answer has the shapes of the server's (a Prediction, or a FieldAnswer for a field), its images
 * as object URLs; `id` starts with DEVICE_PREDICTION_PREFIX (it is not in the server's audit trail).
 */
export async function readOnDevice(device: DeviceWorker, request: DeviceRequest): Promise<Prediction | FieldAnswer> {
  const reading = await device.read({ photo: request.photo, wholeField: request.wholeField, pxPerUm: request.pxPerUm, force: request.force });
  const record = {
    id: `${DEVICE_PREDICTION_PREFIX}${Date.now()}-${++made}`,
    createdAt: new Date().toISOString(),
    user: { id: request.user.id, username: request.user.username },
    image: { sha256: '', url: URL.createObjectURL(request.photo) },
    modelId: null,
    modelVersion: device.info.modelVersion,
    model: null,
    tree: device.labelTree,
    specimenType: request.specimenType,
    caseId: request.caseId,
    feedback: null,
    feedbackHistory: [],
    onDevice: null,
  };
  const url = (png: Blob | null) => (png ? URL.createObjectURL(png) : null);
  const refused = (refusal: Refusal): Prediction => ({ ...record, refusal, classes: [], top: null, uncertain: false, heatmapUrl: null });
  if (reading.kind === 'refused') return refused(reading.refusal);
  if (reading.kind === 'tile') return { ...record, refusal: null, classes: reading.classes, top: reading.top, uncertain: reading.uncertain, heatmapUrl: url(reading.heatmap) };
  const answer = { quality: reading.quality, warnings: reading.warnings };
  if (reading.refusal) return { ...answer, prediction: refused(reading.refusal) };
  const field = reading.answer;
  if (!field) return { ...answer, prediction: null };
  return {
    ...answer,
    prediction: { ...record, refusal: null, classes: field.classes, top: field.top, uncertain: field.uncertain, heatmapUrl: url(field.heatmap), field: { ...field.summary, tileMapUrl: url(field.tileMap) } },
  };
}
