import type { TrainCallback, TrainLoop } from '../loop.ts';
import { fineTuneStepAt } from '../schedule.ts';

/**
 * The learning rates of a pretrained model fine-tuned in parameter groups: the head alone for
 * config.freezeEpochs, then every group at its discriminative rate, the schedule restarting at the
 * unfreeze (see fineTuneStepAt). Takes the place of LearningRateSchedule.
 */
export class FineTuneSchedule implements TrainCallback {
  constructor(private readonly groups: number) {}

  onStepBegin(loop: TrainLoop): void {
    const { learningRate, groupRates } = fineTuneStepAt(loop.config, this.groups, loop.state.globalStep, loop.stepsPerEpoch, loop.totalSteps);
    loop.learningRate = learningRate;
    loop.groupRates = groupRates;
  }
}
