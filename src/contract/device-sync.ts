/**
 * What the page sends back from the device when it was offline (POST /api/predictions/sync and
 * POST /api/predictions/feedback/sync): predictions made by the on-device model and verdicts, each
 * once, by its idempotency key. Times are ISO strings in the API.
 */
import type { FeedbackVerdict } from './api.ts';
import type { AnsweredResult, FieldSummary, RefusedResult } from './prediction.ts';

/** How a prediction made on a device reached the audit trail: the device's time, the device, the key it was synced with. */
export interface OnDeviceMark<Time = string> {
  madeAt: Time;
  /** A mark of the device (random, made once per browser), e.g. "device-3f2a…". */
  device: string;
  /** A UUID made on the device with the prediction. */
  idempotencyKey: string;
}

/**
 * The on-device predictor's answer as it is synced: the server's result shape (PredictorResult, or a
 * whole field's answer with its summary) without the pictures, which stay on the device.
 */
export type DeviceResult = (Omit<AnsweredResult, 'heatmapPng'> & { field?: FieldSummary }) | RefusedResult;

/** POST /api/predictions/sync: one prediction made on the device, with the photo it read (base64 JPEG or PNG). */
export interface DevicePredictionSync extends OnDeviceMark {
  /** The registered model (GET /api/models/active/version: id) whose files the device ran. */
  modelId: number;
  result: DeviceResult;
  specimenType: string;
  caseId?: string;
  image: string;
}

/** POST /api/predictions/feedback/sync: a verdict given on the device, on a prediction by its server id or by its own idempotency key. */
export interface DeviceVerdictSync {
  idempotencyKey: string;
  madeAt: string;
  prediction: { id: string } | { idempotencyKey: string };
  verdict: FeedbackVerdict;
  label?: string;
}

/** GET /api/models/active/version: what the page compares with the model it holds. */
export interface ActiveModelVersion {
  id: number;
  /** The registered model's readable name and version. */
  name: string;
  version: string;
  /** The bundle's own version, as the audit trail records it (e.g. "resnet-small@2026-12-06T19:32:52.501Z"). */
  modelVersion: string;
}
