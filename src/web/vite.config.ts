import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Build: `vite build --config src/web/vite.config.ts` → src/web/dist, served by createServer({ staticDir }).
 * Dev: `vite --config src/web/vite.config.ts` with the API listening on 127.0.0.1:8080.
 */
export default defineConfig({
  root,
  base: '/',
  publicDir: 'public',
  // The server's CSP allows only same-origin scripts and styles: no inline code, no CDN.
  // onnxruntime-web (the on-device mode's runtime) is a chunk of its own, its .wasm copied from the npm package into dist.
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    rollupOptions: { output: { manualChunks: (id: string) => (id.includes('/node_modules/onnxruntime-') ? 'onnxruntime' : undefined) } },
  },
  server: { host: '127.0.0.1', proxy: { '/api': 'http://127.0.0.1:8080' } },
});
