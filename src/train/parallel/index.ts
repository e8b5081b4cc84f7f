export { createParallelStepRunner, type ParallelOptions, type ParallelStepRunner, type StepTimings } from './runner.ts';
