import type { DeviceModel } from '../../contract/index.ts';
import { WebOnnxClassifier } from '../../engine/onnx/portable.ts';
import { PortableModel } from '../../inference/portable.ts';
import type { BundleMetadata } from '../../models/portable.ts';
import { ApiError, api } from '../api.ts';

/** The server's model, loaded in the page. */
export interface LoadedDeviceModel {
  model: PortableModel;
  info: DeviceModel;
  /** From asking for it to a session ready to run, in ms. */
  loadMs: number;
}

async function fetchFile(url: string): Promise<Response> {
  // The browser may keep the files; the server revalidates them against the model's version.
  const response = await fetch(url, { credentials: 'same-origin', cache: 'no-cache' });
  if (!response.ok) throw new ApiError(response.status, `The model file ${url} could not be loaded (${response.status}).`);
  return response;
}

/** The server's running model on onnxruntime-web, with its metadata and dense kernel (heatmaps). */
export async function loadDeviceModel(): Promise<LoadedDeviceModel> {
  const started = performance.now();
  const info = await api.deviceModel();
  const [onnx, metadata, kernel] = await Promise.all([
    fetchFile(info.files.model).then((response) => response.arrayBuffer()),
    fetchFile(info.files.metadata).then((response) => response.json() as Promise<BundleMetadata>),
    info.files.denseKernel ? fetchFile(info.files.denseKernel).then(async (response) => new Float32Array(await response.arrayBuffer())) : null,
  ]);
  const runner = await WebOnnxClassifier.load(new Uint8Array(onnx));
  return { model: new PortableModel(metadata, runner, kernel), info, loadMs: performance.now() - started };
}
