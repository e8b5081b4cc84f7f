import type { TrainProgress } from '../history.ts';
import type { EpochEnd, TrainCallback, TrainLoop } from '../loop.ts';

/** Reports the run as TrainProgress events: resumed, every step (running means, throughput, ETA) and every epoch. */
export class Progress implements TrainCallback {
  private startedAt = 0;
  private stepsAtStart = 0;

  constructor(
    private readonly onProgress: (event: TrainProgress) => void,
    private readonly resumed: boolean,
  ) {}

  onTrainBegin(loop: TrainLoop): void {
    if (this.resumed) this.onProgress({ kind: 'resumed', epoch: loop.state.epoch, step: loop.state.step });
    this.startedAt = performance.now();
    this.stepsAtStart = loop.state.globalStep;
  }

  onStepEnd(loop: TrainLoop): void {
    const { state, config } = loop;
    const doneThisRun = state.globalStep - this.stepsAtStart;
    const secondsThisRun = (performance.now() - this.startedAt) / 1000;
    this.onProgress({
      kind: 'step',
      epoch: state.epoch,
      epochs: config.epochs,
      step: state.step,
      stepsPerEpoch: loop.stepsPerEpoch,
      loss: state.epochLossSum / state.epochSeen,
      accuracy: state.epochCorrect / state.epochSeen,
      imagesPerSecond: (doneThisRun * config.batchSize) / secondsThisRun,
      etaSeconds: ((loop.totalSteps - state.globalStep) * secondsThisRun) / doneThisRun,
    });
  }

  onEpochEnd(loop: TrainLoop, { record, improved }: EpochEnd): void {
    this.onProgress({ kind: 'epoch', record, improved, epochs: loop.config.epochs });
  }
}
