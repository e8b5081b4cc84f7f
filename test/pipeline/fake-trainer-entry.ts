// A stand-in for the project trainer, run by forkTrainer in a child process (see training-process.test.ts).
import type { ProjectTrainer } from '../../src/pipeline/index.ts';

export type FakeMode = 'train' | 'fail' | 'crash' | 'wait-for-cancel' | 'ignore-cancel' | 'busy';

export function createTrainer(config: { mode: FakeMode; busyMs?: number }): ProjectTrainer {
  return {
    async start(projectId, manifestCsvPath, onProgress, signal) {
      onProgress({ stage: 'started', pid: process.pid, manifestCsvPath });
      switch (config.mode) {
        case 'train':
          for (let epoch = 1; epoch <= 3; epoch++) onProgress({ epoch });
          return { bundlePath: `/bundles/project-${projectId}` };
        case 'fail':
          throw new Error('the manifest has no images');
        case 'crash':
          process.kill(process.pid, 'SIGKILL');
          return new Promise(() => undefined);
        case 'wait-for-cancel':
          await new Promise((resolve) => signal.addEventListener('abort', resolve));
          throw new Error('training was cancelled');
        case 'ignore-cancel':
          return new Promise(() => setInterval(() => undefined, 1000));
        case 'busy': {
          const from = Date.now() + 100;
          const until = from + (config.busyMs ?? 2000);
          onProgress({ stage: 'busy', from, until });
          await new Promise((resolve) => setTimeout(resolve, 100)); // lets the progress reach the server
          // Holds its thread like a training step does, without yielding.
          while (Date.now() < until);
          return { bundlePath: '/bundles/busy' };
        }
      }
    },
  };
}
