import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { weightsFromBytes, weightsToBytes, type SerializedWeights, type WeightEntry } from '../models/index.ts';
import { writeDirAtomically } from '../io/index.ts';
import type { TrainConfig } from './config.ts';
import type { EpochRecord } from './history.ts';
import type { Normalisation } from './dataset.ts';

/** Everything needed to continue a run exactly where it stopped. */
export interface TrainState {
  /** Epoch in progress (0-based). */
  epoch: number;
  /** Steps of that epoch already taken. */
  step: number;
  globalStep: number;
  epochLossSum: number;
  epochCorrect: number;
  epochSeen: number;
  history: EpochRecord[];
  bestEpoch: number;
  bestScore: number | null;
  epochsWithoutImprovement: number;
  elapsedSeconds: number;
  normalisation: Normalisation;
}

export interface Checkpoint {
  config: TrainConfig;
  state: TrainState;
  weights: SerializedWeights;
  optimizer: SerializedWeights;
  best: SerializedWeights | null;
  /** Running mean of the weights being averaged (config.finalWeights 'average'), once it has started. */
  average: SerializedWeights | null;
}

const FORMAT = 'gramlens-checkpoint-1';

export function checkpointDir(runDir: string): string {
  return join(runDir, 'checkpoint');
}

export async function saveCheckpoint(runDir: string, checkpoint: Checkpoint): Promise<void> {
  await writeDirAtomically(checkpointDir(runDir), async (dir) => {
    const manifest = {
      format: FORMAT,
      config: checkpoint.config,
      state: checkpoint.state,
      weights: checkpoint.weights.entries,
      optimizer: checkpoint.optimizer.entries,
      best: checkpoint.best?.entries ?? null,
      average: checkpoint.average?.entries ?? null,
    };
    await writeFile(join(dir, 'weights.bin'), weightsToBytes(checkpoint.weights));
    await writeFile(join(dir, 'optimizer.bin'), weightsToBytes(checkpoint.optimizer));
    if (checkpoint.best) await writeFile(join(dir, 'best.bin'), weightsToBytes(checkpoint.best));
    if (checkpoint.average) await writeFile(join(dir, 'average.bin'), weightsToBytes(checkpoint.average));
    // The manifest goes last: a folder without it is never taken for a checkpoint.
    await writeFile(join(dir, 'checkpoint.json'), JSON.stringify(manifest));
  });
}

export async function loadCheckpoint(runDir: string): Promise<Checkpoint | null> {
  const dir = checkpointDir(runDir);
  const manifestPath = join(dir, 'checkpoint.json');
  if (!existsSync(manifestPath)) return null;
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
    format: string;
    config: TrainConfig;
    state: TrainState;
    weights: WeightEntry[];
    optimizer: WeightEntry[];
    best: WeightEntry[] | null;
    average?: WeightEntry[] | null;
  };
  if (manifest.format !== FORMAT) throw new Error(`checkpoint in ${dir} has format "${manifest.format}", this gramlens reads "${FORMAT}"`);
  const read = async (file: string, entries: WeightEntry[]) => weightsFromBytes(entries, new Uint8Array(await readFile(join(dir, file))));
  return {
    config: manifest.config,
    state: manifest.state,
    weights: await read('weights.bin', manifest.weights),
    optimizer: await read('optimizer.bin', manifest.optimizer),
    best: manifest.best ? await read('best.bin', manifest.best) : null,
    average: manifest.average ? await read('average.bin', manifest.average) : null,
  };
}
