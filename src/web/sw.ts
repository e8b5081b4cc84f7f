/**
 * The service worker (built by Vite to /sw.js, scope /): keeps the app shell so the clinician's
 * screen opens without a network, and on the page's request the active model's files (a cache per
 * model version) and the ONNX runtime's WASM (under /ort/). API answers are never cached: patient
 * data stays on the server, and only the files the page names are kept.
 * Self-contained on purpose (no imports at run time), so the build emits it as one classic script.
 */
import type { CacheModelReply, CacheModelRequest } from './offline/messages.ts';

interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request;
  respondWith(response: Promise<Response> | Response): void;
}
interface ExtendableMessageEvent extends ExtendableEvent {
  readonly data: unknown;
  readonly ports: readonly MessagePort[];
}
interface WorkerScope {
  readonly location: Location;
  skipWaiting(): Promise<void>;
  readonly clients: { claim(): Promise<void> };
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void;
  addEventListener(type: 'message', listener: (event: ExtendableMessageEvent) => void): void;
}

const scope = globalThis as unknown as WorkerScope;

/** Replaced at build (vite.config.ts): the shell's files and a version that changes with them. */
const SHELL: { version: string; files: string[] } = JSON.parse('__GRAMLENS_SHELL__');
const SHELL_CACHE = `gramlens-shell-${SHELL.version}`;
const MODEL_CACHE_PREFIX = 'gramlens-model-';
const RUNTIME_CACHE = 'gramlens-runtime';
/**
 * Where the model's files are served (the device-model route and the files it names): the network's
 * when the server answers, so the page never mixes an old model's files with a new model's version;
 * the cached ones without it.
 */
const MODEL_FILES_PREFIX = '/api/models/';
const ACTIVE_VERSION_PATH = '/api/models/active/version';
const RUNTIME_PREFIX = '/ort/';

/** Whether every URL is on this origin under the prefix: the page may ask to keep model and runtime files, never other API answers. */
function allUnder(urls: readonly string[], prefix: string): boolean {
  return urls.every((url) => {
    const parsed = new URL(url, scope.location.origin);
    return parsed.origin === scope.location.origin && parsed.pathname.startsWith(prefix);
  });
}

scope.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(SHELL_CACHE)
      .then((cache) => cache.addAll(['/', ...SHELL.files]))
      .then(() => scope.skipWaiting()),
  );
});

scope.addEventListener('activate', (event) => {
  const stale = (name: string) => name.startsWith('gramlens-shell-') && name !== SHELL_CACHE;
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter(stale).map((name) => caches.delete(name))))
      .then(() => scope.clients.claim()),
  );
});

/** A page load: the network's (so a new build shows at once), or the cached shell without one. */
async function page(request: Request): Promise<Response> {
  try {
    return await fetch(request);
  } catch {
    return (await caches.match('/', { cacheName: SHELL_CACHE })) ?? Response.error();
  }
}

async function networkFirst(request: Request): Promise<Response> {
  try {
    return await fetch(request);
  } catch {
    return (await caches.match(request)) ?? Response.error();
  }
}

async function cacheFirst(request: Request): Promise<Response> {
  return (await caches.match(request)) ?? fetch(request);
}

scope.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== scope.location.origin) return;
  if (request.mode === 'navigate') return event.respondWith(page(request));
  if (url.pathname.startsWith('/api/')) {
    if (url.pathname.startsWith(MODEL_FILES_PREFIX) && url.pathname !== ACTIVE_VERSION_PATH) event.respondWith(networkFirst(request));
    return;
  }
  // The shell's files and the runtime's WASM (/ort/).
  event.respondWith(cacheFirst(request));
});

async function cacheModel(request: CacheModelRequest): Promise<CacheModelReply> {
  if (!allUnder(request.urls, MODEL_FILES_PREFIX) || !allUnder(request.runtimeUrls, RUNTIME_PREFIX)) {
    return { ok: false, error: `only files under ${MODEL_FILES_PREFIX} and ${RUNTIME_PREFIX} are kept` };
  }
  try {
    const name = `${MODEL_CACHE_PREFIX}${request.version}`;
    await (await caches.open(name)).addAll(request.urls);
    if (request.runtimeUrls.length > 0) await (await caches.open(RUNTIME_CACHE)).addAll(request.runtimeUrls);
    const older = (await caches.keys()).filter((cache) => cache.startsWith(MODEL_CACHE_PREFIX) && cache !== name);
    await Promise.all(older.map((cache) => caches.delete(cache)));
    return { ok: true };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

scope.addEventListener('message', (event) => {
  const request = event.data as CacheModelRequest | null;
  const port = event.ports[0];
  if (request?.type !== 'cache-model' || !port) return;
  event.waitUntil(cacheModel(request).then((reply) => port.postMessage(reply)));
});
