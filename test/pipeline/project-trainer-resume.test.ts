import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProjectTrainer } from '../../src/pipeline/index.ts';
import { writeBandManifest } from './toy-bands.ts';

type Progress = Record<string, unknown>;

describe("the server's trainer", () => {
  let root: string;
  let manifest: string;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    root = await mkdtemp(join(tmpdir(), 'gl-project-resume-'));
    manifest = await writeBandManifest(root, { seed: 5 });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('continues an attempt of the same run from its checkpoint instead of starting over', async () => {
    const runsDir = join(root, 'runs');
    const trainer = createProjectTrainer({
      runsDir,
      size: [16, 16],
      train: { model: 'resnet-small', width: 4, epochs: 3, batchSize: 8, learningRate: 0.01, patience: 0 },
      augment: { flipHorizontal: { p: 0 } },
    });
    const controller = new AbortController();
    const first: Progress[] = [];
    const stopAfterFirstEpoch = (progress: Progress): void => {
      first.push(progress);
      if (progress.stage === 'epoch' && progress.epoch === 1) controller.abort();
    };
    await expect(trainer.start(1, manifest, stopAfterFirstEpoch, controller.signal, { runId: 9 })).rejects.toThrow('training was cancelled');
    expect(existsSync(join(runsDir, 'run-9', 'checkpoint', 'checkpoint.json'))).toBe(true);

    const second: Progress[] = [];
    const { bundlePath } = await trainer.start(1, manifest, (progress) => second.push(progress), new AbortController().signal, { runId: 9 });
    expect(bundlePath).toBe(join(runsDir, 'run-9', 'model'));
    const resumed = second.find((progress) => progress.stage === 'resumed from the checkpoint');
    expect(resumed?.epoch).toBeGreaterThanOrEqual(2);
    const epochs = second.filter((progress) => progress.stage === 'epoch').map((progress) => progress.epoch);
    expect(epochs.at(-1)).toBe(3);
    expect(epochs.every((epoch) => (epoch as number) >= (resumed!.epoch as number))).toBe(true);
  });
});
