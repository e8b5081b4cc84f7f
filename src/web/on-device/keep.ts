import type { DeviceResult, FeedbackVerdict, FieldAnswer, Prediction } from '../../contract/index.ts';
import { api } from '../api.ts';
import { heldModelVersion, queueDevicePrediction, queueVerdict, syncOutbox } from '../offline/index.ts';

/** The outbox key each result read on the device is (being) kept under, by its id on screen: a verdict on it goes after it. */
const keptUnder = new Map<string, Promise<string | null>>();

/** The registered model whose files the device ran: the one it holds for offline use, else the server's current one if it is the same. */
async function registeredModelId(modelVersion: string): Promise<number> {
  const held = heldModelVersion();
  if (held?.modelVersion === modelVersion) return held.id;
  const active = await api.activeModelVersion().catch(() => null);
  if (active?.modelVersion === modelVersion) return active.id;
  throw new Error(`The model on this device (${modelVersion}) is not the server's current one: its result cannot be sent to the audit trail`);
}

/** What the sync route records: the result in the server's shape, without the pictures (they stay on the device). */
export function deviceResultOf(prediction: Prediction): DeviceResult {
  const { modelVersion } = prediction;
  const tree = prediction.tree ? { tree: prediction.tree } : {};
  if (prediction.refusal !== null) return { refusal: prediction.refusal, modelVersion, ...tree };
  const { classes, top, uncertain } = prediction;
  if (!prediction.field) return { classes, top, uncertain, modelVersion, ...tree };
  const { tileMapUrl: _pictureStaysHere, ...field } = prediction.field;
  return { classes, top, uncertain, modelVersion, ...tree, field };
}

export interface KeptPhoto {
  specimenType: string;
  caseId: string | null;
  /** The photo as it would be sent to the server (it may still be shrinking). */
  photo: Promise<Blob>;
}

/**
 * Queues a reading made on the device for the server's audit trail (sent at once when online, else
 * when the network is back), a refusal (a failed quality check included) as any answer; a field with no tile read holds no prediction.
 * Resolves with the idempotency key, or null when there was nothing to keep.
 */
export function keepForAuditTrail(answer: Prediction | FieldAnswer, { specimenType, caseId, photo }: KeptPhoto): Promise<string | null> {
  const prediction = 'quality' in answer ? answer.prediction : answer;
  if (!prediction) return Promise.resolve(null);
  const kept = (async () => {
    const [modelId, sent] = await Promise.all([registeredModelId(prediction.modelVersion), photo]);
    return queueDevicePrediction({ modelId, result: deviceResultOf(prediction), specimenType, ...(caseId ? { caseId } : {}), photo: sent });
  })();
  keptUnder.set(prediction.id, kept);
  return kept;
}

/**
 * A verdict on a result read on the device: queued in the outbox after the result itself, on its
 * idempotency key, so the server records it once, linked to that prediction (sent at once when online).
 */
export async function keepDeviceVerdict(predictionId: string, verdict: FeedbackVerdict, label?: string): Promise<void> {
  const key = await (keptUnder.get(predictionId) ?? Promise.resolve(null)).catch(() => null);
  if (!key) throw new Error('This result could not be kept on this device, so a verdict on it cannot be sent to the audit trail');
  await queueVerdict({ prediction: { idempotencyKey: key }, verdict, ...(label === undefined ? {} : { label }) });
  void syncOutbox();
}
