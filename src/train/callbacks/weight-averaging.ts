import { loadModelWeights, serializeModelWeights } from '../../models/index.ts';
import type { TrainCallback, TrainLoop } from '../loop.ts';

/** First epoch (0-based) of the schedule's last quarter, whose end-of-epoch weights are averaged. */
export function firstAveragedEpoch(epochs: number): number {
  return epochs - Math.max(1, Math.round(epochs / 4));
}

/**
 * Stochastic weight averaging over the end of the schedule: the running mean of the weights (batch-
 * norm statistics included) at the end of each epoch of its last quarter, put into the model when
 * the run ends, unless cancelled. The learning rate is low there, so the epochs average one basin,
 * and a noisy epoch weighs a quarter or less. A run stopped early before that quarter keeps its last
 * weights.
 */
export class WeightAveraging implements TrainCallback {
  onEpochEnd(loop: TrainLoop): void {
    const finished = loop.state.epoch - 1;
    if (finished < firstAveragedEpoch(loop.config.epochs)) return;
    const current = serializeModelWeights(loop.model);
    const count = finished - firstAveragedEpoch(loop.config.epochs) + 1;
    if (count === 1 || !loop.averagedWeights) {
      loop.averagedWeights = current;
      return;
    }
    const mean = loop.averagedWeights.data;
    const latest = current.data;
    for (let i = 0; i < mean.length; i++) mean[i] += (latest[i] - mean[i]) / count;
  }

  onTrainEnd(loop: TrainLoop): void {
    if (loop.averagedWeights && loop.status !== 'cancelled') loadModelWeights(loop.model, loop.averagedWeights);
  }
}
