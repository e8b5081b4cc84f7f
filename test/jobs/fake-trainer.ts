import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Trainer } from '../../src/jobs/index.ts';

export interface FakeTrainer extends Trainer {
  /** Projects whose training started, in order. */
  readonly started: number[];
  /** Trainings stopped by their signal. */
  readonly aborted: number;
  /** Lets trainings waiting for it go on (with `gated`). */
  release(): void;
}

/**
 * A trainer that reports `epochs` epochs `epochMs` apart (after `release()` when `gated`), then
 * writes a bundle folder with metrics under `bundleRoot`; an abort stops it at once.
 */
export function fakeTrainer(options: { bundleRoot: string; epochs?: number; epochMs?: number; gated?: boolean }): FakeTrainer {
  const { bundleRoot, epochs = 3, epochMs = 20, gated = false } = options;
  const started: number[] = [];
  let aborted = 0;
  let release: () => void = () => undefined;
  let released = new Promise<void>((resolve) => (release = resolve));
  const trainer: FakeTrainer = {
    started,
    get aborted() {
      return aborted;
    },
    release: () => release(),
    async start(projectId, _manifest, onProgress, signal) {
      started.push(projectId);
      const stopped = new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () => {
          aborted += 1;
          reject(new Error('training was cancelled'));
        }, { once: true }),
      );
      stopped.catch(() => {});
      if (signal.aborted) throw new Error('training was cancelled');
      if (gated) {
        await Promise.race([released, stopped]);
        released = new Promise<void>((resolve) => (release = resolve));
      }
      for (let epoch = 1; epoch <= epochs; epoch++) {
        await Promise.race([new Promise((resolve) => setTimeout(resolve, epochMs)), stopped]);
        onProgress({ epoch, epochs });
      }
      const bundlePath = join(bundleRoot, `project-${projectId}-${process.pid}-${started.length}-${Date.now()}`);
      mkdirSync(bundlePath, { recursive: true });
      writeFileSync(join(bundlePath, 'metadata.json'), JSON.stringify({ metrics: { accuracy: 0.9 } }));
      return { bundlePath };
    },
  };
  return trainer;
}
