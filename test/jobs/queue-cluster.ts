import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { startJobWorker, type JobMeans, type JobWorker } from '../../src/jobs/index.ts';
import { createServer } from '../../src/server/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { startTestServer, type TestServer } from '../server/helpers.ts';
import type { TestBackend } from '../store/backends.ts';
import { FAST_TIMINGS } from './redis.ts';

const WORKER_CHILD = fileURLToPath(new URL('./worker-child.ts', import.meta.url));
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * Servers and workers sharing one database, data folder and Redis queue: the first a test server
 * with its users, a second listening for event streams, a store for the workers, and the workers
 * and worker processes a test starts. `close()` ends them all.
 */
export class QueueCluster {
  readonly queue: { url: string; prefix: string; timings: typeof FAST_TIMINGS };
  database: string | undefined;
  first!: TestServer;
  /** The first server's app; a test that restarts it replaces it with `reopenFirst`. */
  firstApp!: FastifyInstance;
  second!: FastifyInstance;
  secondPort = 0;
  workerStore!: Store;
  private readonly workers: JobWorker[] = [];
  private readonly children: ChildProcess[] = [];

  constructor(
    private readonly backend: TestBackend,
    readonly url: string,
    readonly prefix: string,
  ) {
    this.queue = { url, prefix, timings: FAST_TIMINGS };
  }

  async start(): Promise<void> {
    const database = (this.database = await this.backend.freshDatabase());
    this.first = await startTestServer({ backend: { name: this.backend.name, freshDatabase: async () => database }, queue: this.queue });
    this.firstApp = this.first.app;
    await this.startSecond();
    this.workerStore = await openStore({ dataDir: this.first.dataDir, database });
  }

  /** Another server on the same database, data folder and queue, listening for event streams. */
  async startSecond(): Promise<void> {
    this.second = createServer({ dataDir: this.first.dataDir, database: this.database, queue: this.queue });
    await this.second.listen({ host: '127.0.0.1', port: 0 });
    this.secondPort = (this.second.server.address() as AddressInfo).port;
  }

  /** The first server again, after a test closed it. */
  async reopenFirst(): Promise<void> {
    this.firstApp = createServer({ dataDir: this.first.dataDir, database: this.database, queue: this.queue });
    await this.firstApp.ready();
  }

  async startWorker(means: JobMeans): Promise<JobWorker> {
    const { url, prefix } = this.queue;
    const worker = await startJobWorker({ url, prefix, timings: FAST_TIMINGS, store: this.workerStore, log: quiet, ...means });
    this.workers.push(worker);
    return worker;
  }

  async stopWorker(worker: JobWorker): Promise<void> {
    this.workers.splice(this.workers.indexOf(worker), 1);
    await worker.close();
  }

  /**
   * A worker in a process of its own named `runner` (test/jobs/worker-child.ts: a fake trainer of
   * `epochs` epochs of `epochMs`, fake job models taking `itemMs` an item), once it is ready;
   * `exited` resolves when it ends.
   */
  async spawnWorker(runner: string, slowness: { epochs: number; epochMs: number; itemMs?: number }): Promise<{ child: ChildProcess; exited: Promise<unknown> }> {
    const { url, prefix } = this.queue;
    const args = [this.first.dataDir, this.database ?? '', url, prefix, runner, String(slowness.epochs), String(slowness.epochMs), String(FAST_TIMINGS.lockDurationMs), String(FAST_TIMINGS.stalledIntervalMs), String(slowness.itemMs ?? 0)];
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER_CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.children.push(child);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`the worker process exited early (${code})`)));
    });
    return { child, exited };
  }

  async close(): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL');
    for (const worker of this.workers.splice(0)) await worker.close();
    await this.second?.close();
    await this.workerStore?.close();
    await this.firstApp?.close();
    if (this.first) rmSync(this.first.dataDir, { recursive: true, force: true });
  }
}
