import type { FromTrainingChild, ProjectTrainer, ToTrainingChild } from './training-process.ts';

/** How long the child keeps going after its parent went away, to stop at a step boundary. */
const ORPHAN_EXIT_MS = 10_000;

const controller = new AbortController();
let started = false;

function send(message: FromTrainingChild): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(message, () => resolve());
  });
}

async function run(message: Extract<ToTrainingChild, { kind: 'start' }>): Promise<void> {
  try {
    const entry = (await import(message.entry)) as { createTrainer(config: unknown): Promise<ProjectTrainer> | ProjectTrainer };
    const trainer = await entry.createTrainer(message.config);
    const onProgress = (progress: Record<string, unknown>): void => void send({ kind: 'progress', progress });
    const { bundlePath } = await trainer.start(message.projectId, message.manifestCsvPath, onProgress, controller.signal, message.run);
    await send({ kind: 'done', bundlePath });
  } catch (error) {
    await send({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
  }
  // TF.js and onnxruntime may hold handles open: this process has done its one job.
  process.exit(0);
}

// Ctrl-C and SIGTERM reach the whole process group: the parent decides when this child stops.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);
process.on('disconnect', () => {
  controller.abort();
  setTimeout(() => process.exit(1), ORPHAN_EXIT_MS).unref();
});
process.on('message', (message: ToTrainingChild) => {
  if (message.kind === 'cancel') controller.abort();
  else if (message.kind === 'start' && !started) {
    started = true;
    void run(message);
  }
});
