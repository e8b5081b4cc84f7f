import type { ActiveModelVersion } from '../../contract/index.ts';
import type { CacheModelReply, CacheModelRequest } from './messages.ts';

const HELD_MODEL_KEY = 'gramlens.model.held';

/** Registers /sw.js for the whole app; without service workers (plain http off localhost) the app works online only. */
export async function registerServiceWorker(): Promise<ServiceWorkerRegistration | null> {
  if (!('serviceWorker' in navigator)) return null;
  try {
    return await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  } catch {
    return null;
  }
}

/** The model this device holds for offline use, as cacheModelFiles recorded it. */
export function heldModelVersion(): ActiveModelVersion | null {
  try {
    return JSON.parse(localStorage.getItem(HELD_MODEL_KEY) ?? 'null') as ActiveModelVersion | null;
  } catch {
    return null;
  }
}

/**
 * Keeps a model's files (and the runtime's WASM under /ort/) in the service worker's caches, named
 * by the model's version, then records it as the model this device holds. The on-device model
 * loader calls it with the files it fetches; resolves once all are stored.
 */
export async function cacheModelFiles(model: ActiveModelVersion, urls: string[], runtimeUrls: string[] = []): Promise<void> {
  if (!('serviceWorker' in navigator)) throw new Error('This browser cannot keep files for offline use');
  const worker = (await navigator.serviceWorker.ready).active;
  if (!worker) throw new Error('The offline cache is not ready yet');
  const request: CacheModelRequest = { type: 'cache-model', version: `${model.id}-${model.modelVersion}`, urls, runtimeUrls };
  const reply = await new Promise<CacheModelReply>((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => resolve(event.data as CacheModelReply);
    worker.postMessage(request, [channel.port2]);
  });
  if (!reply.ok) throw new Error(`The model could not be kept on this device: ${reply.error}`);
  localStorage.setItem(HELD_MODEL_KEY, JSON.stringify(model));
}

/** The files of a model and of the runtime that runs it, as the on-device model loader names them. */
export type ModelFilesOf = (model: ActiveModelVersion) => Promise<{ urls: string[]; runtimeUrls: string[] }>;

let modelFilesOf: ModelFilesOf | null = null;

/** Set at boot by the on-device mode (modelFilesForOffline): without it the page cannot fetch a model for offline use. */
export function provideModelFiles(provider: ModelFilesOf): void {
  modelFilesOf = provider;
}

export function canKeepModels(): boolean {
  return modelFilesOf !== null && 'serviceWorker' in navigator;
}

/** Fetches the server's current model into this device's cache (replacing the older one). */
export async function keepModel(model: ActiveModelVersion): Promise<void> {
  if (!modelFilesOf) throw new Error('This app cannot run models on the device yet');
  const { urls, runtimeUrls } = await modelFilesOf(model);
  await cacheModelFiles(model, urls, runtimeUrls);
}
