import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** Browser end-to-end tests: `vitest run --config test/e2e/vitest.config.ts` (builds the web app first). */
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/e2e/**/*.e2e.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    pool: 'forks',
    // One browser and one server at a time: the machine has few cores.
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 90_000,
  },
});
