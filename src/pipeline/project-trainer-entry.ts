import { initEngine, type BackendChoice } from '../engine/index.ts';
import { createProjectTrainer, type ProjectTrainerOptions } from './serving.ts';

/** Runs in the training child process (see createProjectTrainerProcess): its engine, then the trainer. */
export async function createTrainer(config: ProjectTrainerOptions & { backend?: BackendChoice }) {
  const { backend, ...options } = config;
  await initEngine({ backend: backend ?? 'auto' });
  return createProjectTrainer(options);
}
