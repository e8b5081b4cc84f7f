import type { TrainCallback, TrainLoop } from '../loop.ts';
import { learningRateAt } from '../schedule.ts';

/** Sets the learning rate of each step from the config's schedule (warm-up, then constant, cosine or step decay). */
export class LearningRateSchedule implements TrainCallback {
  onStepBegin(loop: TrainLoop): void {
    loop.learningRate = learningRateAt(loop.config, loop.state.globalStep, loop.stepsPerEpoch, loop.totalSteps);
  }
}
