import type { TrainCallback, TrainLoop } from '../loop.ts';

/** Stops before the next step once the signal is aborted; the run ends 'cancelled'. */
export class Cancellation implements TrainCallback {
  constructor(private readonly signal: AbortSignal) {}

  onStepBegin(loop: TrainLoop): void {
    if (this.signal.aborted) loop.stop('cancelled');
  }
}
