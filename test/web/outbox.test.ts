import { describe, expect, it } from 'vitest';
import type { DevicePredictionSync, DeviceVerdictSync } from '../../src/contract/index.ts';
import { ApiError } from '../../src/web/api.ts';
import { deviceMark, newUuid } from '../../src/web/offline/ids.ts';
import { outcomeOf } from '../../src/web/offline/send.ts';
import { Outbox, retryDelayMs, type OutboxItem, type OutboxStorage, type PredictionItem, type SendOutcome, type VerdictItem } from '../../src/web/offline/outbox.ts';
import { modelState, modelSummary, outboxSummary } from '../../src/web/offline/status-text.ts';

/** The outbox's storage in memory, ordered as IndexedDB's (userId, queuedAt) index orders it. */
class MemoryStorage implements OutboxStorage {
  readonly items = new Map<string, OutboxItem>();
  async put(item: OutboxItem) {
    this.items.set(item.key, structuredClone(item));
  }
  async itemsOf(userId: number) {
    return [...this.items.values()].filter((item) => item.userId === userId).sort((a, b) => a.queuedAt - b.queuedAt).map((item) => structuredClone(item));
  }
  async remove(key: string) {
    this.items.delete(key);
  }
}

const prediction = (key: string, userId: number) => ({ kind: 'prediction' as const, key, userId, payload: { idempotencyKey: key } as DevicePredictionSync });
const verdict = (key: string, userId: number, predictionKey: string) => ({
  kind: 'verdict' as const,
  key,
  userId,
  payload: { idempotencyKey: key, prediction: { idempotencyKey: predictionKey } } as DeviceVerdictSync,
});

/** A server that records what it receives once per key, answering as scripted per call. */
function fakeServer(script: (item: OutboxItem, call: number) => SendOutcome = () => ({ outcome: 'sent' })) {
  const received: string[] = [];
  const recorded = new Set<string>();
  let calls = 0;
  return {
    received,
    recorded,
    send: async (item: OutboxItem) => {
      received.push(item.key);
      const outcome = script(item, calls++);
      if (outcome.outcome === 'sent') recorded.add(item.key);
      return outcome;
    },
  };
}

describe('Outbox', () => {
  it('sends a user’s items oldest first, predictions before the verdicts queued after them, and removes each once sent', async () => {
    const storage = new MemoryStorage();
    const outbox = new Outbox(storage, { now: () => 1000 });
    await outbox.add<PredictionItem>(prediction('p1', 7));
    await outbox.add<VerdictItem>(verdict('v1', 7, 'p1'));
    await outbox.add<PredictionItem>(prediction('p2', 7));
    const server = fakeServer();
    expect(await outbox.sync(7, server.send)).toEqual({ sent: 3, waiting: 0, rejected: 0, signedOut: false });
    expect(server.received).toEqual(['p1', 'v1', 'p2']);
    expect(storage.items.size).toBe(0);
    expect(await outbox.sync(7, server.send)).toMatchObject({ sent: 0 });
    expect(server.received).toHaveLength(3);
  });

  it('never sends or lists one user’s items for another', async () => {
    const storage = new MemoryStorage();
    const outbox = new Outbox(storage);
    await outbox.add<PredictionItem>(prediction('alice-1', 1));
    await outbox.add<PredictionItem>(prediction('bob-1', 2));
    expect((await outbox.itemsOf(2)).map((item) => item.key)).toEqual(['bob-1']);
    const server = fakeServer();
    await outbox.sync(2, server.send);
    expect(server.received).toEqual(['bob-1']);
    expect([...storage.items.keys()]).toEqual(['alice-1']);
  });

  it('keeps everything when the session ends mid-run, and sends it at the next sync', async () => {
    const storage = new MemoryStorage();
    const outbox = new Outbox(storage);
    for (const key of ['a', 'b', 'c']) await outbox.add<PredictionItem>(prediction(key, 1));
    const revoked = fakeServer((_item, call) => (call === 1 ? { outcome: 'signed-out' } : { outcome: 'sent' }));
    expect(await outbox.sync(1, revoked.send)).toEqual({ sent: 1, waiting: 2, rejected: 0, signedOut: true });
    expect(revoked.received).toEqual(['a', 'b']);
    expect([...storage.items.keys()]).toEqual(['b', 'c']);
    const loggedIn = fakeServer();
    await outbox.sync(1, loggedIn.send, { force: true });
    expect(loggedIn.received).toEqual(['b', 'c']);
    expect(storage.items.size).toBe(0);
  });

  it('stops at a failure that may pass and retries it after a doubling delay, in order', async () => {
    let now = 0;
    const storage = new MemoryStorage();
    const outbox = new Outbox(storage, { now: () => now });
    await outbox.add<PredictionItem>(prediction('a', 1));
    await outbox.add<PredictionItem>(prediction('b', 1));
    const down = fakeServer(() => ({ outcome: 'retry', reason: 'no network' }));
    expect(await outbox.sync(1, down.send)).toMatchObject({ sent: 0, waiting: 2 });
    expect(down.received).toEqual(['a']);
    expect(await outbox.nextAttemptOf(1)).toBe(0); // b was never tried
    const first = storage.items.get('a')!;
    expect([first.attempts, first.nextAttemptAt]).toEqual([1, retryDelayMs(1)]);
    // Before a's retry is due nothing is sent, b included: nothing overtakes a.
    now = 1000;
    expect(await outbox.sync(1, down.send)).toMatchObject({ sent: 0, waiting: 2 });
    expect(down.received).toEqual(['a']);
    now = retryDelayMs(1);
    await outbox.sync(1, down.send);
    expect(down.received).toEqual(['a', 'a']);
    expect(storage.items.get('a')!.attempts).toBe(2);
    expect(storage.items.get('a')!.nextAttemptAt).toBe(now + retryDelayMs(2));
    const up = fakeServer();
    await outbox.sync(1, up.send, { force: true });
    expect(up.received).toEqual(['a', 'b']);
    expect(storage.items.size).toBe(0);
  });

  it('keeps an item the server refuses for good, with the reason, and does not send it again', async () => {
    const storage = new MemoryStorage();
    const outbox = new Outbox(storage);
    await outbox.add<PredictionItem>(prediction('bad', 1));
    await outbox.add<PredictionItem>(prediction('good', 1));
    const server = fakeServer((item) => (item.key === 'bad' ? { outcome: 'rejected', reason: 'no model 9' } : { outcome: 'sent' }));
    expect(await outbox.sync(1, server.send)).toEqual({ sent: 1, waiting: 0, rejected: 1, signedOut: false });
    expect(storage.items.get('bad')!.rejected).toBe('no model 9');
    await outbox.sync(1, server.send, { force: true });
    expect(server.received).toEqual(['bad', 'good']);
    expect(await outbox.nextAttemptOf(1)).toBeNull();
  });

  it('gives up a verdict on a prediction the server refused, so it holds nothing up', async () => {
    const storage = new MemoryStorage();
    const outbox = new Outbox(storage);
    await outbox.add<PredictionItem>(prediction('refused', 1));
    await outbox.add<VerdictItem>(verdict('on-refused', 1, 'refused'));
    await outbox.add<PredictionItem>(prediction('later', 1));
    const server = fakeServer((item) => (item.key === 'refused' ? { outcome: 'rejected', reason: 'unknown model version' } : { outcome: 'sent' }));
    expect(await outbox.sync(1, server.send)).toEqual({ sent: 1, waiting: 0, rejected: 2, signedOut: false });
    expect(server.received).toEqual(['refused', 'later']);
    expect(storage.items.get('on-refused')!.rejected).toMatch(/prediction it is on was refused/);
  });

  it('runs one sync at a time per user, so an online event and a login together send each item once', async () => {
    const storage = new MemoryStorage();
    const outbox = new Outbox(storage);
    await outbox.add<PredictionItem>(prediction('a', 1));
    const server = fakeServer();
    const [one, two] = await Promise.all([outbox.sync(1, server.send), outbox.sync(1, server.send)]);
    expect(one).toBe(two);
    expect(server.received).toEqual(['a']);
  });

  it('keeps the order of items queued in the same millisecond', async () => {
    const storage = new MemoryStorage();
    const outbox = new Outbox(storage, { now: () => 5 });
    const first = await outbox.add<PredictionItem>(prediction('first', 1));
    const second = await outbox.add<VerdictItem>(verdict('second', 1, 'first'));
    expect(second.queuedAt).toBeGreaterThan(first.queuedAt);
  });

  it('doubles the retry delay from 5 s up to 5 minutes', () => {
    expect([1, 2, 3, 4, 10, 50].map(retryDelayMs)).toEqual([5_000, 10_000, 20_000, 40_000, 300_000, 300_000]);
  });
});

describe('offline ids and status', () => {
  it('makes version-4 UUIDs, different each time', () => {
    const ids = new Set(Array.from({ length: 50 }, newUuid));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('makes the device mark once and keeps it', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (key: string) => store.get(key) ?? null, setItem: (key: string, value: string) => void store.set(key, value) };
    const mark = deviceMark(storage);
    expect(mark).toMatch(/^device-[0-9a-f]{8}-[0-9a-f]{4}$/);
    expect(deviceMark(storage)).toBe(mark);
  });

  it('says what waits to be sent, online and offline', () => {
    expect(outboxSummary(true, 0, 0)).toBe('Online.');
    expect(outboxSummary(true, 2, 0)).toBe('Online. 2 items waiting to be sent.');
    expect(outboxSummary(false, 1, 1)).toBe('Offline: what you do is kept on this device and sent when the network is back. 1 item kept on this device. 1 item refused by the server (kept on this device).');
  });

  it('tells whether the model held is the server’s current one', () => {
    const v1 = { id: 1, name: 'Sputum', version: 'run-1', modelVersion: 'tiny@1' };
    const v2 = { id: 2, name: 'Sputum', version: 'run-2', modelVersion: 'tiny@2' };
    expect([modelState(null, v1), modelState(v1, null), modelState(v1, v1), modelState(v1, v2), modelState(v1, { ...v1, modelVersion: 'tiny@1+calibrated@x' })]).toEqual([
      'none',
      'unknown',
      'current',
      'outdated',
      'outdated',
    ]);
    expect(modelSummary(v1, v2)).toBe("This device holds Sputum run-1; the server's current model is Sputum run-2.");
  });
});

describe('outcomeOf', () => {
  it('retries what may pass, stops at a lost session, and gives up on a refusal of the request itself', () => {
    const prediction = { kind: 'prediction', payload: {} } as unknown as OutboxItem;
    const verdict = { kind: 'verdict', payload: { prediction: { idempotencyKey: 'k' } } } as unknown as OutboxItem;
    const verdictOnServerPrediction = { kind: 'verdict', payload: { prediction: { id: '7' } } } as unknown as OutboxItem;
    expect(outcomeOf(new ApiError(0, 'The server cannot be reached'), prediction)).toEqual({ outcome: 'retry', reason: 'The server cannot be reached' });
    expect(outcomeOf(new ApiError(503, 'busy'), prediction).outcome).toBe('retry');
    expect(outcomeOf(new ApiError(429, 'slow down'), prediction).outcome).toBe('retry');
    expect(outcomeOf(new ApiError(401, 'Not logged in'), prediction)).toEqual({ outcome: 'signed-out' });
    expect(outcomeOf(new ApiError(422, 'there is no model 9 on this server'), prediction)).toEqual({ outcome: 'rejected', reason: 'there is no model 9 on this server' });
    expect(outcomeOf(new ApiError(409, "another user's prediction"), prediction).outcome).toBe('rejected');
    // A verdict whose device prediction has not arrived yet waits for it; one on a server prediction the server cannot find, and a prediction, never pass.
    expect(outcomeOf(new ApiError(404, 'no such prediction'), verdict).outcome).toBe('retry');
    expect(outcomeOf(new ApiError(404, 'no such prediction'), verdictOnServerPrediction).outcome).toBe('rejected');
    expect(outcomeOf(new ApiError(404, 'not found'), prediction).outcome).toBe('rejected');
    expect(outcomeOf(new TypeError('Failed to fetch'), prediction)).toEqual({ outcome: 'retry', reason: 'Failed to fetch' });
  });
});
