import { loadModelWeights, serializeModelWeights } from '../../models/index.ts';
import type { EpochEnd, TrainCallback, TrainLoop } from '../loop.ts';

/** Keeps the weights of the best epoch (by the monitored metric) and puts them back into the model when the run ends, unless cancelled. */
export class BestWeights implements TrainCallback {
  onEpochEnd(loop: TrainLoop, { improved }: EpochEnd): void {
    if (improved) loop.bestWeights = serializeModelWeights(loop.model);
  }

  onTrainEnd(loop: TrainLoop): void {
    if (loop.bestWeights && loop.status !== 'cancelled') loadModelWeights(loop.model, loop.bestWeights);
  }
}
