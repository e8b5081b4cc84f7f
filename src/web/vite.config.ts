import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
/** Where the build puts onnxruntime-web's JavaScript and WASM: the service worker caches them there (its runtime cache) on the page's request, not with the app shell. */
const RUNTIME_FOLDER = 'ort';
/** The list of the runtime's files the page reads when it keeps a model for offline use. */
const RUNTIME_LIST = `${RUNTIME_FOLDER}/files.json`;
const isRuntimeFile = (name: string) => name.startsWith(`${RUNTIME_FOLDER}/`);
/** onnxruntime-web in a chunk of its own under /ort/, so that the app's own JavaScript can be measured apart. */
const output = {
  manualChunks: (id: string) => (id.includes('/node_modules/onnxruntime-') ? 'onnxruntime' : undefined),
  chunkFileNames: (chunk: { name: string }) => (chunk.name === 'onnxruntime' ? `${RUNTIME_FOLDER}/[name]-[hash].js` : 'assets/[name]-[hash].js'),
  assetFileNames: (asset: { names: string[] }) => (asset.names.some((name) => name.startsWith('ort-wasm')) ? `${RUNTIME_FOLDER}/[name]-[hash][extname]` : 'assets/[name]-[hash][extname]'),
};

const publicDir = join(root, 'public');
const SERVICE_WORKER = 'sw.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]));
}

/**
 * Gives the service worker the app shell it caches: every file of the build (hashed JS and CSS,
 * the public icons and manifest) but the runtime's, and a version that changes with any of them, so
 * a new build replaces the old shell. The runtime's files (/ort/) are listed in /ort/files.json.
 */
function serviceWorkerShell(): Plugin {
  return {
    name: 'gramlens-service-worker-shell',
    apply: 'build',
    generateBundle(_options, bundle) {
      const worker = bundle[SERVICE_WORKER];
      if (!worker || worker.type !== 'chunk') throw new Error(`the build has no ${SERVICE_WORKER} entry`);
      const publicFiles = filesUnder(publicDir).map((path) => ({ url: `/${relative(publicDir, path).split('\\').join('/')}`, bytes: readFileSync(path) }));
      const allBuilt = Object.keys(bundle).filter((name) => name !== SERVICE_WORKER && name !== 'index.html' && !name.endsWith('.map'));
      const runtimeFiles = allBuilt.filter(isRuntimeFile).map((name) => `/${name}`);
      if (!runtimeFiles.some((url) => url.endsWith('.wasm'))) throw new Error(`the build put no onnxruntime-web WASM under /${RUNTIME_FOLDER}/`);
      this.emitFile({ type: 'asset', fileName: RUNTIME_LIST, source: JSON.stringify(runtimeFiles.sort()) });
      const builtFiles = allBuilt.filter((name) => !isRuntimeFile(name)).map((name) => `/${name}`);
      const hash = createHash('sha256');
      for (const name of allBuilt.sort()) hash.update(name);
      for (const file of publicFiles) hash.update(file.url).update(file.bytes);
      const shell = { version: hash.digest('hex').slice(0, 16), files: [...builtFiles, ...publicFiles.map((file) => file.url)] };
      // The minifier may quote the placeholder with ', " or `.
      const placeholder = /(["'`])__GRAMLENS_SHELL__\1/;
      if (!placeholder.test(worker.code)) throw new Error(`${SERVICE_WORKER} lost its shell placeholder`);
      worker.code = worker.code.replace(placeholder, JSON.stringify(JSON.stringify(shell)));
    },
  };
}

/**
 * Build: `vite build --config src/web/vite.config.ts` → src/web/dist, served by createServer({ staticDir }).
 * Dev: `vite --config src/web/vite.config.ts` with the API listening on 127.0.0.1:8080.
 */
export default defineConfig({
  root,
  base: '/',
  publicDir: 'public',
  plugins: [serviceWorkerShell()],
  // The server's CSP allows only same-origin scripts and styles: no inline code, no CDN.
  // The on-device mode runs in a module worker; onnxruntime-web's .wasm is copied from the npm package into dist/ort.
  worker: { format: 'es', rollupOptions: { output } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    rollupOptions: {
      // The service worker is an entry of its own at a stable URL (its scope is the folder it is served from: /).
      input: { main: join(root, 'index.html'), sw: join(root, 'sw.ts') },
      output: { ...output, entryFileNames: (chunk) => (chunk.name === 'sw' ? SERVICE_WORKER : 'assets/[name]-[hash].js') },
    },
  },
  server: { host: '127.0.0.1', proxy: { '/api': 'http://127.0.0.1:8080' } },
});
