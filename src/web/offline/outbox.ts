import type { DevicePredictionSync, DeviceVerdictSync } from '../../contract/index.ts';

/**
 * What the page did while it could not reach the server, waiting to be sent: predictions made on the
 * device and verdicts. Each is kept under the user who made it, sent by that user's session only, and
 * removed only once the server has it (a repeated send adds nothing there: the idempotency key).
 */
export type OutboxItem = PredictionItem | VerdictItem;

interface ItemBase {
  /** The idempotency key, also the item's key in storage. */
  key: string;
  userId: number;
  /** Order of queueing: predictions go before the verdicts given on them. */
  queuedAt: number;
  attempts: number;
  /** Not before this time (ms) after a failed attempt. */
  nextAttemptAt: number;
  /** Why the server refused it for good (kept, shown, never sent again); null while it waits. */
  rejected: string | null;
}

export interface PredictionItem extends ItemBase {
  kind: 'prediction';
  payload: DevicePredictionSync;
}

export interface VerdictItem extends ItemBase {
  kind: 'verdict';
  payload: DeviceVerdictSync;
}

/** Where the items live: IndexedDB in the page (idb-storage.ts), memory in tests. */
export interface OutboxStorage {
  put(item: OutboxItem): Promise<void>;
  /** One user's items, oldest queued first. */
  itemsOf(userId: number): Promise<OutboxItem[]>;
  remove(key: string): Promise<void>;
}

/**
 * What sending one item came to: sent (the server has it, now or before), retry (no network, the
 * server busy or failing), signed-out (the session ended: stop, keep everything for the next login)
 * or rejected (the server refuses it for good, e.g. a model version it does not have).
 */
export type SendOutcome = { outcome: 'sent' } | { outcome: 'retry'; reason: string } | { outcome: 'signed-out' } | { outcome: 'rejected'; reason: string };

export type Send = (item: OutboxItem) => Promise<SendOutcome>;

export const FIRST_RETRY_MS = 5_000;
export const MAX_RETRY_MS = 5 * 60_000;

/** Doubles from 5 s after each failed attempt, at most 5 minutes. */
export function retryDelayMs(attempts: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1));
}

export interface SyncReport {
  sent: number;
  waiting: number;
  rejected: number;
  /** The session ended during the run. */
  signedOut: boolean;
}

export interface OutboxOptions {
  now?: () => number;
}

export class Outbox {
  private readonly now: () => number;
  private lastQueuedAt = 0;
  /** One run at a time per user: an online event and a login at once send each item once. */
  private readonly running = new Map<number, Promise<SyncReport>>();

  constructor(
    private readonly storage: OutboxStorage,
    options: OutboxOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  async add<T extends OutboxItem>(item: Pick<T, 'kind' | 'key' | 'userId' | 'payload'>): Promise<T> {
    // Strictly increasing, so two items queued in one millisecond keep their order.
    this.lastQueuedAt = Math.max(this.now(), this.lastQueuedAt + 1);
    const queued = { ...item, queuedAt: this.lastQueuedAt, attempts: 0, nextAttemptAt: 0, rejected: null } as T;
    await this.storage.put(queued);
    return queued;
  }

  itemsOf(userId: number): Promise<OutboxItem[]> {
    return this.storage.itemsOf(userId);
  }

  /**
   * Sends this user's items, oldest first, until one is not due yet or fails in a way that may pass
   * (then it schedules that one's retry, and later items keep their place behind it); items the
   * server refused for good are skipped. `force` ignores the schedule (the network just came back,
   * the user logged in).
   */
  sync(userId: number, send: Send, { force = false } = {}): Promise<SyncReport> {
    const current = this.running.get(userId);
    if (current) return current;
    const run = this.run(userId, send, force).finally(() => this.running.delete(userId));
    this.running.set(userId, run);
    return run;
  }

  private async run(userId: number, send: Send, force: boolean): Promise<SyncReport> {
    const items = await this.storage.itemsOf(userId);
    const report: SyncReport = { sent: 0, waiting: 0, rejected: 0, signedOut: false };
    const refusedPredictions = new Set(items.filter((item) => item.kind === 'prediction' && item.rejected !== null).map((item) => item.key));
    let stopped = false;
    for (const item of items) {
      if (item.rejected !== null) report.rejected++;
      else if (item.kind === 'verdict' && 'idempotencyKey' in item.payload.prediction && refusedPredictions.has(item.payload.prediction.idempotencyKey)) {
        // Its prediction will never reach the server: waiting for it would hold up everything behind.
        await this.storage.put({ ...item, rejected: 'the prediction it is on was refused by the server' });
        report.rejected++;
      } else if (stopped || (!force && item.nextAttemptAt > this.now())) {
        // Strict order: nothing overtakes an item waiting for its retry.
        stopped = true;
        report.waiting++;
      } else {
        const result = await send(item);
        if (result.outcome === 'sent') {
          await this.storage.remove(item.key);
          report.sent++;
        } else if (result.outcome === 'rejected') {
          await this.storage.put({ ...item, rejected: result.reason });
          if (item.kind === 'prediction') refusedPredictions.add(item.key);
          report.rejected++;
        } else {
          if (result.outcome === 'retry') {
            const attempts = item.attempts + 1;
            await this.storage.put({ ...item, attempts, nextAttemptAt: this.now() + retryDelayMs(attempts) });
          }
          report.signedOut = result.outcome === 'signed-out';
          report.waiting++;
          stopped = true;
        }
      }
    }
    return report;
  }

  /** When this user's next retry is due (ms), or null when nothing waits. */
  async nextAttemptOf(userId: number): Promise<number | null> {
    const waiting = (await this.storage.itemsOf(userId)).filter((item) => item.rejected === null);
    return waiting.length === 0 ? null : Math.min(...waiting.map((item) => item.nextAttemptAt));
  }
}
