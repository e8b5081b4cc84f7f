import { serializeModelWeights } from '../../models/index.ts';
import { saveCheckpoint } from '../checkpoint.ts';
import type { TrainProgress } from '../history.ts';
import type { TrainCallback, TrainLoop } from '../loop.ts';

/**
 * Saves a resumable checkpoint to runDir every config.checkpointEverySteps steps within an epoch,
 * at the end of every epoch, and when the run is cancelled.
 */
export class Checkpointing implements TrainCallback {
  constructor(
    private readonly runDir: string,
    private readonly onProgress?: (event: TrainProgress) => void,
  ) {}

  async onStepEnd(loop: TrainLoop): Promise<void> {
    const { state, config } = loop;
    if (state.step < loop.stepsPerEpoch && state.globalStep % config.checkpointEverySteps === 0) await this.save(loop);
  }

  async onEpochEnd(loop: TrainLoop): Promise<void> {
    await this.save(loop);
  }

  async onTrainEnd(loop: TrainLoop): Promise<void> {
    if (loop.status === 'cancelled') await this.save(loop);
  }

  private async save(loop: TrainLoop): Promise<void> {
    const { state } = loop;
    await saveCheckpoint(this.runDir, {
      config: loop.config,
      state: { ...state, elapsedSeconds: loop.elapsedSeconds() },
      weights: serializeModelWeights(loop.model),
      optimizer: await loop.runner.optimizerWeights(),
      best: loop.bestWeights,
      average: loop.averagedWeights,
    });
    this.onProgress?.({ kind: 'checkpoint', epoch: state.epoch, step: state.step });
  }
}
