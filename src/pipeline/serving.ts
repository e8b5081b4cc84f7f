import { join } from 'node:path';
import type { AugmentConfig, AugmentPresetName } from '../augment/index.ts';
import { readManifest } from '../data/index.ts';
import { fitClassifier } from './fit.ts';
import { writeFitReport } from './report.ts';
import type { TrainConfig } from '../train/index.ts';

export interface ProjectTrainerOptions {
  /** Where each run's folder (checkpoint, bundle, report) is created. */
  runsDir: string;
  size: [number, number];
  channels?: 1 | 3;
  train?: Partial<TrainConfig>;
  augment?: AugmentConfig | AugmentPresetName;
}

/**
 * Trains on a labelled project's manifest (structurally the server's Trainer). A run named by
 * `run` trains in runs/run-N and continues from the checkpoint an earlier attempt left there (a
 * worker that died); without it, in a new folder per start.
 */
export function createProjectTrainer(options: ProjectTrainerOptions) {
  return {
    async start(projectId: number, manifestCsvPath: string, onProgress: (progress: Record<string, unknown>) => void, signal: AbortSignal, run?: { runId: number }): Promise<{ bundlePath: string }> {
      const dataset = await readManifest(manifestCsvPath);
      const runDir = join(options.runsDir, run ? `run-${run.runId}` : `project-${projectId}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      const result = await fitClassifier(dataset, {
        size: options.size,
        channels: options.channels,
        train: options.train,
        augment: options.augment ?? 'microscopy',
        runDir,
        resume: run !== undefined,
        signal,
        onProgress: (event) => {
          if (event.kind === 'train' && event.event.kind === 'step') {
            const e = event.event;
            onProgress({ stage: 'training', epoch: e.epoch + 1, epochs: e.epochs, step: e.step, steps: e.stepsPerEpoch, loss: e.loss, accuracy: e.accuracy, etaSeconds: Math.round(e.etaSeconds) });
          } else if (event.kind === 'train' && event.event.kind === 'epoch') {
            const r = event.event.record;
            onProgress({ stage: 'epoch', epoch: r.epoch + 1, valLoss: r.valLoss, valAccuracy: r.valAccuracy });
          } else if (event.kind === 'train' && event.event.kind === 'resumed') {
            onProgress({ stage: 'resumed from the checkpoint', epoch: event.event.epoch + 1 });
          } else if (event.kind === 'decode') {
            onProgress({ stage: 'decoding', split: event.split, done: event.done, total: event.total });
          } else if (event.kind === 'stage') {
            onProgress({ stage: event.message });
          }
        },
      });
      if (result.status === 'cancelled') throw new Error('training was cancelled');
      if (result.report) {
        onProgress({ stage: 'writing the evaluation report' });
        await writeFitReport(join(runDir, 'report'), result, {
          title: `Project ${projectId}: held-out test set`,
          description: `the project's decided labels: ${dataset.samples.length} images, ${dataset.classes.length} classes, split by patient`,
          classes: dataset.classes,
          seed: result.training.config.seed,
        });
      }
      return { bundlePath: result.bundleDir };
    },
  };
}
