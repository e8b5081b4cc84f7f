export { createParallelStepRunner, type ParallelOptions, type ParallelStepRunner, type StepTimings } from './runner.ts';
export { measureStepThroughput, type StepThroughput, type StepThroughputOptions } from './measure.ts';
