import { fork, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import type { BackendChoice } from '../engine/index.ts';
import type { ProjectTrainerOptions } from './serving.ts';

/** Trains a project's manifest (structurally the server's Trainer). */
export interface ProjectTrainer {
  /** With `run`, an attempt of the same run (another worker's, on the shared data folder) continues from its checkpoint. */
  start(projectId: number, manifestCsvPath: string, onProgress: (progress: Record<string, unknown>) => void, signal: AbortSignal, run?: { runId: number }): Promise<{ bundlePath: string }>;
}

/** Parent → child. `entry` is a module whose `createTrainer(config)` gives the trainer to run there. */
export type ToTrainingChild =
  | { kind: 'start'; entry: string; config: unknown; projectId: number; manifestCsvPath: string; run?: { runId: number } }
  | { kind: 'cancel' };

/** Child → parent. */
export type FromTrainingChild = { kind: 'progress'; progress: Record<string, unknown> } | { kind: 'done'; bundlePath: string } | { kind: 'failed'; message: string };

export interface TrainingProcessOptions {
  /** Added to the child's nice value, so the server's own requests come first (default 10). */
  niceness?: number;
  /** How long a cancelled child may take to stop before it is killed (default 5 s). */
  stopGraceMs?: number;
}

const BOOTSTRAP = new URL('./training-child-bootstrap.mjs', import.meta.url);
const PROJECT_TRAINER_ENTRY = new URL('./project-trainer-entry.ts', import.meta.url);

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}

function lowerPriority(child: ChildProcess, niceness: number): void {
  if (child.pid === undefined || niceness === 0) return;
  try {
    setPriority(child.pid, Math.min(19, niceness));
  } catch {
    // Not permitted on some systems: the child then shares the cores at the same priority.
  }
}

/**
 * Runs each training in a child process of its own (`entry`'s createTrainer(config) is called
 * there), so a training run never blocks the server's event loop. Progress is streamed back; on
 * abort the child is told to cancel and killed if it has not stopped within the grace period; a
 * child that dies or exits without an answer fails the run with how it ended. Ctrl-C and SIGTERM
 * sent to the whole process group are left to the parent: the child ignores them and stops when
 * told, or when the parent goes away.
 */
export function forkTrainer(entry: URL, config: unknown, options: TrainingProcessOptions = {}): ProjectTrainer {
  const niceness = options.niceness ?? 10;
  const stopGraceMs = options.stopGraceMs ?? 5000;
  return {
    start(projectId, manifestCsvPath, onProgress, signal, run) {
      return new Promise((resolve, reject) => {
        if (signal.aborted) return reject(new Error('training was cancelled'));
        // The manifest path in the arguments tells an operator's `ps` which run a child belongs to.
        const child = fork(BOOTSTRAP, [manifestCsvPath], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
        lowerPriority(child, niceness);
        let answer: FromTrainingChild | null = null;
        let killTimer: NodeJS.Timeout | undefined;
        const cancel = (): void => {
          if (child.connected) child.send({ kind: 'cancel' } satisfies ToTrainingChild);
          killTimer = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
          killTimer.unref();
        };
        signal.addEventListener('abort', cancel, { once: true });
        child.on('message', (message: FromTrainingChild) => {
          if (message.kind === 'progress') onProgress(message.progress);
          else answer = message;
        });
        child.on('error', (error) => {
          answer ??= { kind: 'failed', message: `the training process could not run: ${error.message}` };
        });
        child.on('exit', (code, exitSignal) => {
          clearTimeout(killTimer);
          signal.removeEventListener('abort', cancel);
          if (answer?.kind === 'done') resolve({ bundlePath: answer.bundlePath });
          else if (answer?.kind === 'failed') reject(new Error(answer.message));
          else if (signal.aborted) reject(new Error('training was cancelled'));
          else reject(new Error(`the training process died (${describeExit(code, exitSignal)})`));
        });
        child.send({ kind: 'start', entry: entry.href, config, projectId, manifestCsvPath, run } satisfies ToTrainingChild);
      });
    },
  };
}

/** The server's trainer: createProjectTrainer in a child process on the given TF.js backend. */
export function createProjectTrainerProcess(options: ProjectTrainerOptions & { backend?: BackendChoice }, processOptions?: TrainingProcessOptions): ProjectTrainer {
  return forkTrainer(PROJECT_TRAINER_ENTRY, options, processOptions);
}
