import { fileURLToPath } from 'node:url';
import { build } from 'vite';

/** Builds the web app into src/web/dist once, before any browser test runs. */
export default async function buildWebApp(): Promise<void> {
  await build({ configFile: fileURLToPath(new URL('../../src/web/vite.config.ts', import.meta.url)), logLevel: 'warn' });
}
