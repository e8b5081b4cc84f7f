import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
/** onnxruntime-web in a chunk of its own, so that the app's own JavaScript can be measured apart. */
const output = { manualChunks: (id: string) => (id.includes('/node_modules/onnxruntime-') ? 'onnxruntime' : undefined) };

/**
 * Build: `vite build --config src/web/vite.config.ts` → src/web/dist, served by createServer({ staticDir }).
 * Dev: `vite --config src/web/vite.config.ts` with the API listening on 127.0.0.1:8080.
 */
export default defineConfig({
  root,
  base: '/',
  publicDir: 'public',
  // The server's CSP allows only same-origin scripts and styles: no inline code, no CDN.
  // The on-device mode runs in a module worker; onnxruntime-web's .wasm is copied from the npm package into dist.
  worker: { format: 'es', rollupOptions: { output } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    rollupOptions: { output },
  },
  server: { host: '127.0.0.1', proxy: { '/api': 'http://127.0.0.1:8080' } },
});
