import type { TrainCallback, TrainLoop } from '../loop.ts';

/** Stops when the monitored metric has not improved for `patience` epochs (config.patience; 0 = never). */
export class EarlyStopping implements TrainCallback {
  onEpochEnd(loop: TrainLoop): void {
    const { config, state } = loop;
    if (config.patience > 0 && state.epochsWithoutImprovement >= config.patience && state.epoch < config.epochs) loop.stop('early-stopped');
  }
}
