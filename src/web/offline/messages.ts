/** The page asks the service worker to keep a model's files (and the runtime's WASM) for offline use. */
export interface CacheModelRequest {
  type: 'cache-model';
  /** Names the cache: a new version's files replace the older version's. */
  version: string;
  urls: string[];
  /** The ONNX runtime's files (under /ort/), kept across model versions. */
  runtimeUrls: string[];
}

export type CacheModelReply = { ok: true } | { ok: false; error: string };
