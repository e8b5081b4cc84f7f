export { registerTrainingKernels } from './register.ts';
