import type { ActiveModelVersion } from '../../contract/index.ts';
import { api } from '../api.ts';

/** Written by the web build (vite.config.ts): onnxruntime-web's JavaScript and WASM under /ort/. */
const RUNTIME_LIST_URL = '/ort/files.json';
const DEVICE_MODEL_URL = '/api/models/active/device';

async function runtimeFiles(): Promise<string[]> {
  const response = await fetch(RUNTIME_LIST_URL, { cache: 'no-cache' });
  // A dev server (vite) has no list: the runtime is then fetched from the network each time.
  if (!response.ok) return [];
  return (await response.json()) as string[];
}

/**
 * What the service worker keeps for the on-device mode to work offline: the answer of the
 * device-model route and the files it names (the model the worker loads), and the runtime's files.
 */
export async function modelFilesForOffline(model: ActiveModelVersion): Promise<{ urls: string[]; runtimeUrls: string[] }> {
  const [device, runtimeUrls] = await Promise.all([api.deviceModel(), runtimeFiles()]);
  if (device.modelVersion !== model.modelVersion) throw new Error(`The server's model changed while it was being fetched (${device.modelVersion}): try again`);
  const { files } = device;
  const urls = [DEVICE_MODEL_URL, files.model, files.metadata, ...(files.denseKernel ? [files.denseKernel] : [])];
  return { urls, runtimeUrls };
}
