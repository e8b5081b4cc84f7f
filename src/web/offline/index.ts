/**
 * The page's offline side: the outbox of predictions and verdicts made without a network (sent
 * when it is back, each once), the remembered session that lets the app open offline, and the
 * service worker with its model cache.
 */
import { onReachability } from '../api.ts';
import type { DeviceResult, DeviceVerdictSync, SessionUser } from '../../contract/index.ts';
import { IndexedDbOutboxStorage } from './idb-storage.ts';
import { base64Of, deviceMark, newUuid } from './ids.ts';
import { Outbox, type OutboxItem, type PredictionItem, type SyncReport, type VerdictItem } from './outbox.ts';
import { sendItem } from './send.ts';
import { rememberedSession } from './session.ts';

export { cacheModelFiles, canKeepModels, heldModelVersion, keepModel, provideModelFiles, registerServiceWorker, type ModelFilesOf } from './service-worker-client.ts';
export { forgetSession, rememberedSession, rememberSession } from './session.ts';
export type { OutboxItem, SyncReport } from './outbox.ts';

const outbox = new Outbox(new IndexedDbOutboxStorage());
const changes = new EventTarget();
/** Whose items are sent now: the logged-in user (null when logged out). */
let activeUser: SessionUser | null = null;
let retryTimer: number | undefined;

/** Called after anything queued or sent: the clinician's screen shows the count. */
export function onOutboxChange(listener: () => void): () => void {
  changes.addEventListener('change', listener);
  return () => changes.removeEventListener('change', listener);
}

const changed = () => changes.dispatchEvent(new Event('change'));

/** Whether the server answered the last request (until one is made: whether there is a network). */
let serverReachable = navigator.onLine;

onReachability((reachable) => {
  if (reachable === serverReachable) return;
  serverReachable = reachable;
  changed();
  // Back in touch: what waits goes now, not at its next retry.
  if (reachable) void syncOutbox({ force: true });
});

/** Online as far as the page can tell: a network, and the server answered the last request. */
export function isOnline(): boolean {
  return navigator.onLine && serverReachable;
}

function userOrThrow(): SessionUser {
  if (!activeUser) throw new Error('Log in to keep results on this device');
  return activeUser;
}

export interface DevicePrediction {
  /** The registered model whose files the device ran (GET /api/models/active/version: id). */
  modelId: number;
  result: DeviceResult;
  specimenType: string;
  caseId?: string;
  /** The photo the model read (as the page shrank it). */
  photo: Blob;
}

/** Keeps a prediction made on the device for the audit trail; returns its idempotency key. */
export async function queueDevicePrediction(prediction: DevicePrediction): Promise<string> {
  const user = userOrThrow();
  const key = newUuid();
  const { photo, caseId, ...rest } = prediction;
  const payload = { ...rest, ...(caseId ? { caseId } : {}), idempotencyKey: key, madeAt: new Date().toISOString(), device: deviceMark(), image: await base64Of(photo) };
  await outbox.add<PredictionItem>({ kind: 'prediction', key, userId: user.id, payload });
  changed();
  void syncOutbox();
  return key;
}

/** Keeps a verdict given without a network: on a prediction by its server id, or a device prediction by its key. */
export async function queueVerdict(verdict: Pick<DeviceVerdictSync, 'prediction' | 'verdict' | 'label'>): Promise<string> {
  const user = userOrThrow();
  const key = newUuid();
  await outbox.add<VerdictItem>({ kind: 'verdict', key, userId: user.id, payload: { ...verdict, idempotencyKey: key, madeAt: new Date().toISOString() } });
  changed();
  return key;
}

/** The logged-in user's queued items (another user's are never listed). */
export function queuedItems(): Promise<OutboxItem[]> {
  return activeUser ? outbox.itemsOf(activeUser.id) : Promise.resolve([]);
}

/** Sends the logged-in user's items now; schedules the next retry of what could not be sent. */
export async function syncOutbox({ force = false } = {}): Promise<SyncReport | null> {
  const user = activeUser;
  // The session cookie is shared by every tab: send only while it is still this tab's user's (another tab may have logged in someone else).
  if (!user || !navigator.onLine || rememberedSession()?.user.id !== user.id) return null;
  const report = await outbox.sync(user.id, sendItem, { force });
  if (report.sent > 0 || report.rejected > 0) changed();
  if (activeUser === user) await scheduleRetry(user.id);
  return report;
}

async function scheduleRetry(userId: number): Promise<void> {
  window.clearTimeout(retryTimer);
  const next = await outbox.nextAttemptOf(userId);
  if (next !== null) retryTimer = window.setTimeout(() => void syncOutbox(), Math.max(1000, next - Date.now()));
}

const backOnline = () => void syncOutbox({ force: true });
const wentOffline = () => {
  serverReachable = false;
  changed();
};

/** At login (or an offline start with a remembered session): this user's items are sent now and whenever the network comes back. */
export function startOutbox(user: SessionUser): void {
  stopOutbox();
  activeUser = user;
  window.addEventListener('online', backOnline);
  window.addEventListener('offline', wentOffline);
  changed();
  void syncOutbox({ force: true });
}

/** At logout or a lost session: nothing is sent any more, and nothing is deleted. */
export function stopOutbox(): void {
  activeUser = null;
  window.removeEventListener('online', backOnline);
  window.removeEventListener('offline', wentOffline);
  window.clearTimeout(retryTimer);
  changed();
}
