import { api, ApiError } from '../api.ts';
import type { OutboxItem, SendOutcome } from './outbox.ts';

/** Statuses after which the same request may succeed later. */
const PASSING = new Set([0, 408, 425, 429, 500, 502, 503, 504]);

/**
 * What a failed send comes to. A verdict on a device prediction the server does not know yet (404,
 * by its idempotency key) waits for it; a 404 on a server prediction's id never passes, and any
 * other refusal of the request itself is for good.
 */
export function outcomeOf(error: unknown, item: Pick<OutboxItem, 'kind' | 'payload'>): SendOutcome {
  if (!(error instanceof ApiError)) return { outcome: 'retry', reason: error instanceof Error ? error.message : String(error) };
  if (error.status === 401) return { outcome: 'signed-out' };
  if (PASSING.has(error.status) || (error.status === 404 && waitsForItsPrediction(item))) return { outcome: 'retry', reason: error.message };
  return { outcome: 'rejected', reason: error.message };
}

function waitsForItsPrediction(item: Pick<OutboxItem, 'kind' | 'payload'>): boolean {
  return item.kind === 'verdict' && 'prediction' in item.payload && 'idempotencyKey' in item.payload.prediction;
}

/** Sends one outbox item to the server's sync routes. */
export async function sendItem(item: OutboxItem): Promise<SendOutcome> {
  try {
    if (item.kind === 'prediction') await api.syncPrediction(item.payload);
    else await api.syncVerdict(item.payload);
    return { outcome: 'sent' };
  } catch (error) {
    return outcomeOf(error, item);
  }
}
