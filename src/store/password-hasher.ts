import { Worker } from 'node:worker_threads';
import { StoreError } from './errors.ts';

/** bcrypt, wherever it runs. */
export interface PasswordHasher {
  hash(password: string, cost: number): Promise<string>;
  compare(password: string, hash: string): Promise<boolean>;
  /** Stops the threads; pending jobs are refused. */
  close(): void;
}

type JobRequest = { kind: 'hash'; password: string; cost: number } | { kind: 'compare'; password: string; hash: string };
export type PasswordJob = { id: number } & JobRequest;
export type PasswordJobResult = { id: number; result: string | boolean } | { id: number; error: string };

export interface PasswordPoolOptions {
  /** Worker threads hashing at once (default 1: bcrypt at ~75 ms is 13 logins a second). */
  threads?: number;
  /** Jobs allowed to wait for a thread; one more is refused at once as busy (default 16). */
  maxQueued?: number;
}

interface Pending {
  job: PasswordJob;
  resolve: (value: string | boolean) => void;
  reject: (error: Error) => void;
}

const BOOTSTRAP = new URL('./password-worker-bootstrap.mjs', import.meta.url);

export function busyError(): StoreError {
  return new StoreError('busy', 'The server is busy checking passwords; try again in a moment');
}

/** One worker thread and the job it is running. */
class PasswordThread {
  readonly worker = new Worker(BOOTSTRAP);
  job: Pending | null = null;

  constructor(onSettled: (thread: PasswordThread) => void, onLost: (thread: PasswordThread, error: Error) => void) {
    this.worker.unref();
    this.worker.on('message', (answer: PasswordJobResult) => {
      const job = this.job;
      this.job = null;
      this.worker.unref();
      if (job && job.job.id === answer.id) {
        if ('error' in answer) job.reject(new Error(answer.error));
        else job.resolve(answer.result);
      }
      onSettled(this);
    });
    this.worker.on('error', (error) => onLost(this, error));
    this.worker.on('exit', (code) => onLost(this, new Error(`the password thread exited with code ${code}`)));
  }

  run(pending: Pending): void {
    this.job = pending;
    this.worker.ref();
    this.worker.postMessage(pending.job);
  }
}

/**
 * bcrypt off the main thread: a small pool of worker threads with a bounded queue. When every
 * thread is busy and the queue is full, a job is refused at once (StoreError 'busy') instead of
 * waiting behind a flood, so a burst of logins can neither stall other requests nor pile up.
 * Threads start on first use; a thread that dies fails its job and is replaced.
 */
export class PasswordHashPool implements PasswordHasher {
  private readonly threads: PasswordThread[] = [];
  private readonly queue: Pending[] = [];
  private readonly maxThreads: number;
  private readonly maxQueued: number;
  private nextId = 1;
  private closed = false;

  constructor(options: PasswordPoolOptions = {}) {
    this.maxThreads = options.threads ?? 1;
    this.maxQueued = options.maxQueued ?? 16;
    if (!Number.isInteger(this.maxThreads) || this.maxThreads < 1) throw new Error('a password pool needs at least one thread');
    if (!Number.isInteger(this.maxQueued) || this.maxQueued < 0) throw new Error('maxQueued must be a non-negative integer');
  }

  hash(password: string, cost: number): Promise<string> {
    return this.submit({ kind: 'hash', password, cost }) as Promise<string>;
  }

  compare(password: string, hash: string): Promise<boolean> {
    return this.submit({ kind: 'compare', password, hash }) as Promise<boolean>;
  }

  close(): void {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(new Error('the password pool was closed'));
    for (const thread of this.threads.splice(0)) {
      thread.job?.reject(new Error('the password pool was closed'));
      thread.worker.removeAllListeners('exit');
      void thread.worker.terminate();
    }
  }

  private submit(request: JobRequest): Promise<string | boolean> {
    if (this.closed) return Promise.reject(new Error('the password pool was closed'));
    return new Promise((resolve, reject) => {
      const pending: Pending = { job: { ...request, id: this.nextId++ }, resolve, reject };
      const idle = this.threads.find((thread) => thread.job === null);
      if (idle) return idle.run(pending);
      if (this.threads.length < this.maxThreads) return this.startThread().run(pending);
      if (this.queue.length >= this.maxQueued) return reject(busyError());
      this.queue.push(pending);
    });
  }

  private startThread(): PasswordThread {
    const thread = new PasswordThread(
      (settled) => this.runQueued(settled),
      (lost, error) => this.replace(lost, error),
    );
    this.threads.push(thread);
    return thread;
  }

  private runQueued(thread: PasswordThread): void {
    const next = this.queue.shift();
    if (next) thread.run(next);
  }

  private replace(lost: PasswordThread, error: Error): void {
    const index = this.threads.indexOf(lost);
    if (index < 0) return;
    this.threads.splice(index, 1);
    lost.job?.reject(error);
    lost.job = null;
    void lost.worker.terminate();
    const next = this.queue.shift();
    if (next && !this.closed) this.startThread().run(next);
  }
}
