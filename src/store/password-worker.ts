import bcrypt from 'bcryptjs';
import { parentPort } from 'node:worker_threads';
import type { PasswordJob, PasswordJobResult } from './password-hasher.ts';

// One bcrypt job at a time, synchronously: this thread does nothing else.
parentPort!.on('message', (job: PasswordJob) => {
  let answer: PasswordJobResult;
  try {
    const result = job.kind === 'hash' ? bcrypt.hashSync(job.password, job.cost) : bcrypt.compareSync(job.password, job.hash);
    answer = { id: job.id, result };
  } catch (error) {
    answer = { id: job.id, error: (error as Error).message };
  }
  parentPort!.postMessage(answer);
});
