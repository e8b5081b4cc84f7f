/// <reference lib="webworker" />
/**
 * The model on the device, off the page's main thread: loads the server's model once, then reads
 * each photo it is sent (readPhoto) and answers with plain data and PNG blobs.
 */
import { loadDeviceModel, type LoadedDeviceModel } from './model.ts';
import { readPhoto, type ReadRequest } from './reading.ts';

export type WorkerRequest = { type: 'load' } | { type: 'read'; id: number; request: ReadRequest };

let loaded: Promise<LoadedDeviceModel> | null = null;
const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = async ({ data }: MessageEvent<WorkerRequest>) => {
  if (data.type === 'load') {
    loaded ??= loadDeviceModel();
    try {
      const { info, loadMs, model } = await loaded;
      scope.postMessage({ type: 'loaded', info, loadMs, labelTree: model.metadata.labelTree });
    } catch (error) {
      scope.postMessage({ type: 'failed', id: null, message: (error as Error).message });
    }
    return;
  }
  try {
    if (!loaded) throw new Error('the model is not loaded');
    scope.postMessage({ type: 'read', id: data.id, reading: await readPhoto(await loaded, data.request) });
  } catch (error) {
    scope.postMessage({ type: 'failed', id: data.id, message: (error as Error).message });
  }
};
