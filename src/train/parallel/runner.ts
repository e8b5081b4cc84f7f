import * as tf from '@tensorflow/tfjs-core';
import { Worker } from 'node:worker_threads';
import { augmentPipeline } from '../../augment/index.ts';
import type { BackendChoice } from '../../engine/index.ts';
import { serializeModelWeights, type SerializedWeights } from '../../models/index.ts';
import { hashSeed } from '../../util/index.ts';
import { createOptimizer, creationOrder } from '../optimizer.ts';
import { BatchBuilder, type StepResult, type StepRunner } from '../step.ts';
import type { StepRunnerContext } from '../trainer.ts';
import type { MainMessage, ModelTopology, PartResult, WorkerMessage, WorkerSetup } from './protocol.ts';
import { Replica } from './replica.ts';

export interface ParallelOptions {
  /** Replicas in all, the main thread's included: 2 means the main thread plus one worker thread. */
  workers: number;
  /** URL of the worker module (default: this folder's worker.ts); tests substitute one that crashes. */
  workerEntry?: string;
}

/** Cumulative wall time of the phases of the steps taken so far, on the main thread. */
export interface StepTimings {
  steps: number;
  /** Building and differentiating the main thread's own part. */
  ownPartMs: number;
  /** Waiting for the workers' parts after the own part was done. */
  waitMs: number;
  /** Averaging the parts' gradients and batch-norm statistics. */
  combineMs: number;
  /** Applying the update to the main thread's replica. */
  applyMs: number;
}

export interface ParallelStepRunner extends StepRunner {
  /** A checksum of each replica's weights (main thread first): all equal when the replicas are identical. */
  replicaChecksums(): Promise<number[]>;
  timings(): StepTimings;
}

const BOOTSTRAP = new URL('./bootstrap.mjs', import.meta.url);
const WORKER_ENTRY = new URL('./worker.ts', import.meta.url).href;
const BACKEND_CHOICE_OF: Record<string, BackendChoice> = { tensorflow: 'tfjs-node', wasm: 'wasm', cpu: 'cpu' };

/**
 * Data-parallel training over worker threads: each batch is split into one contiguous part per
 * replica, every replica differentiates its part, the main thread averages the gradients (and the
 * batch-norm statistics) and every replica applies that same update with its own identical
 * optimizer. Workers run the main thread's TF.js backend.
 */
export function createParallelStepRunner(options: ParallelOptions): (context: StepRunnerContext) => Promise<ParallelStepRunner> {
  const { workers } = options;
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be an integer ≥ 1; got ${workers}`);
  return async (context) => {
    const { config, model, logitsModel, train, normalisation, augment, loss, groups } = context;
    if (!BACKEND_CHOICE_OF[tf.getBackend()]) throw new Error(`parallel training does not support the "${tf.getBackend()}" backend; use tfjs-node, wasm or cpu`);
    const replica = new Replica(
      model,
      logitsModel,
      () => createOptimizer(config),
      train,
      new BatchBuilder(train, normalisation, augment ? augmentPipeline(augment) : undefined),
      loss,
      config.batchSize,
      creationOrder(logitsModel),
      groups,
    );
    const update = new SharedArrayBuffer(replica.exchangeSize * 4);
    try {
      const links = workers > 1 ? await startWorkers(workers - 1, replica, update, context, options.workerEntry ?? WORKER_ENTRY) : [];
      return new Runner(replica, links, new Float32Array(update), context);
    } catch (error) {
      replica.dispose();
      throw error;
    }
  };
}

async function startWorkers(count: number, replica: Replica, update: SharedArrayBuffer, context: StepRunnerContext, entry: string): Promise<WorkerLink[]> {
  const { config, model, train } = context;
  const common: Omit<WorkerSetup, 'exchange'> = {
    entry,
    backend: BACKEND_CHOICE_OF[tf.getBackend()],
    topology: model.toJSON(undefined, false) as ModelTopology,
    weights: serializeModelWeights(model),
    layout: replica.layout,
    trainableOrder: replica.trainableOrder,
    groups: context.groups,
    optimizer: { optimizer: config.optimizer, learningRate: config.learningRate, momentum: config.momentum },
    images: shareCopy(train.images),
    imagesType: train.images instanceof Uint8Array ? 'uint8' : 'float32',
    shape: train.shape,
    labels: shareCopy(train.labels),
    normalisation: context.normalisation,
    augment: context.augment,
    loss: context.loss,
    batchSize: config.batchSize,
    update,
  };
  const links = Array.from({ length: count }, (_, i) => new WorkerLink(i + 1, { ...common, exchange: new SharedArrayBuffer(replica.exchangeSize * 4) }));
  try {
    await Promise.all(links.map((link) => link.ready));
  } catch (error) {
    await Promise.all(links.map((link) => link.terminate()));
    throw error;
  }
  return links;
}

class Runner implements ParallelStepRunner {
  private readonly ownExchange: Float32Array;
  private readonly elapsed: StepTimings = { steps: 0, ownPartMs: 0, waitMs: 0, combineMs: 0, applyMs: 0 };

  constructor(
    private readonly replica: Replica,
    private readonly links: WorkerLink[],
    private readonly update: Float32Array,
    private readonly context: StepRunnerContext,
  ) {
    this.ownExchange = new Float32Array(replica.exchangeSize);
  }

  async step(indices: Int32Array, seed: number, learningRate: number, groupRates?: readonly number[]): Promise<StepResult> {
    this.throwIfFailed();
    if (indices.length === 0) throw new Error('cannot take a step on an empty batch');
    const parts = splitContiguous(indices, this.links.length + 1);
    const started = performance.now();
    const replies = Promise.all(
      this.links.map((link, i) => link.request<PartResult>((id) => ({ kind: 'step', id, indices: parts[i + 1], seed: hashSeed(seed, i + 1), groupRates }))),
    );
    // Handled below; this keeps a worker failure during the own part from counting as unhandled.
    replies.catch(() => undefined);
    const own = this.replica.computePart(parts[0], hashSeed(seed, 0), this.ownExchange, groupRates);
    const ownDone = performance.now();
    const results = [own, ...(await replies)];
    const received = performance.now();

    const lossWeights = parts.map((part) => this.lossWeight(part));
    const totalLossWeight = lossWeights.reduce((a, b) => a + b, 0);
    const loss = results.reduce((sum, r, p) => sum + r.loss * lossWeights[p], 0) / totalLossWeight;
    if (!Number.isFinite(loss)) throw new Error('training diverged (the loss is not a finite number): lower the learning rate');
    const exchanges = [this.ownExchange, ...this.links.map((link) => link.exchange)];
    // The loss of the batch is the loss-weighted mean of the parts' losses, so is its gradient.
    averageInto(this.update, 0, this.replica.trainableSize, exchanges, lossWeights.map((w) => w / totalLossWeight));
    averageInto(this.update, this.replica.trainableSize, this.replica.exchangeSize, exchanges, parts.map((part) => part.length / indices.length));
    const combined = performance.now();

    for (const link of this.links) link.send({ kind: 'apply', learningRate, groupRates });
    this.replica.apply(this.update, learningRate, groupRates);
    const applied = performance.now();
    Object.assign(this.elapsed, {
      steps: this.elapsed.steps + 1,
      ownPartMs: this.elapsed.ownPartMs + (ownDone - started),
      waitMs: this.elapsed.waitMs + (received - ownDone),
      combineMs: this.elapsed.combineMs + (combined - received),
      applyMs: this.elapsed.applyMs + (applied - combined),
    });
    return { loss, correct: results.reduce((sum, r) => sum + r.correct, 0) };
  }

  async optimizerWeights(): Promise<SerializedWeights> {
    return this.replica.optimizerState();
  }

  /** Restores the main optimizer and makes every worker's replica a copy of the main one (weights and optimizer). */
  async restoreOptimizer(weights: SerializedWeights): Promise<void> {
    this.throwIfFailed();
    await this.replica.restoreOptimizer(weights);
    const modelWeights = serializeModelWeights(this.context.model);
    await Promise.all(this.links.map((link) => link.request((id) => ({ kind: 'load', id, weights: modelWeights, optimizer: weights }))));
  }

  async replicaChecksums(): Promise<number[]> {
    this.throwIfFailed();
    const others = await Promise.all(this.links.map((link) => link.request<number>((id) => ({ kind: 'checksum', id }))));
    return [this.replica.checksum(), ...others];
  }

  timings(): StepTimings {
    return { ...this.elapsed };
  }

  async dispose(): Promise<void> {
    await Promise.all(this.links.map((link) => link.terminate()));
    this.replica.dispose();
  }

  /** What a part weighs in the batch's mean loss: its samples' class weights, or its size. */
  private lossWeight(part: Int32Array): number {
    const { classWeights } = this.context.loss;
    if (!classWeights) return part.length;
    let sum = 0;
    for (const index of part) sum += classWeights[this.context.train.labels[index]];
    return sum;
  }

  private throwIfFailed(): void {
    const failure = this.links.find((link) => link.failure)?.failure;
    if (failure) throw failure;
  }
}

/** The main thread's end of one worker: requests with replies, one-way messages, and crash detection. */
class WorkerLink {
  readonly exchange: Float32Array;
  readonly ready: Promise<void>;
  failure: Error | null = null;
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private started = false;
  private closing = false;

  constructor(
    private readonly number: number,
    setup: WorkerSetup,
  ) {
    this.exchange = new Float32Array(setup.exchange);
    // Request 0 is the worker's start-up: its 'ready' message settles it.
    this.ready = new Promise((resolve, reject) => this.pending.set(0, { resolve: () => resolve(), reject }));
    this.worker = new Worker(BOOTSTRAP, { workerData: setup });
    this.worker.on('message', (message: WorkerMessage) => this.receive(message));
    this.worker.on('error', (error) => this.fail(this.started ? `crashed: ${error.message}` : error.message));
    this.worker.on('exit', (code) => this.fail(`exited unexpectedly with code ${code}`));
  }

  request<T = unknown>(message: (id: number) => MainMessage): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new Error('the parallel step runner was disposed'));
    const id = this.nextId++;
    const reply = new Promise<T>((resolve, reject) => this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject }));
    this.worker.postMessage(message(id));
    return reply;
  }

  send(message: MainMessage): void {
    this.worker.postMessage(message);
  }

  async terminate(): Promise<void> {
    this.closing = true;
    for (const { reject } of this.pending.values()) reject(new Error('the parallel step runner was disposed'));
    this.pending.clear();
    await this.worker.terminate();
  }

  private receive(message: WorkerMessage): void {
    switch (message.kind) {
      case 'ready':
        this.started = true;
        this.settle(0, null);
        return;
      case 'done':
        this.settle(message.id, message.value);
        return;
      case 'failed':
        this.fail(message.message);
        return;
    }
  }

  private settle(id: number, value: unknown): void {
    this.pending.get(id)?.resolve(value);
    this.pending.delete(id);
  }

  private fail(reason: string): void {
    if (this.closing || this.failure) return;
    this.failure = new Error(`training worker ${this.number} ${this.started ? reason : `failed to start: ${reason}`}`);
    for (const { reject } of this.pending.values()) reject(this.failure);
    this.pending.clear();
  }
}

/** n contiguous parts of near-equal size (copies: a posted view would carry its whole buffer). */
function splitContiguous(indices: Int32Array, n: number): Int32Array[] {
  return Array.from({ length: n }, (_, p) => indices.slice(Math.floor((p * indices.length) / n), Math.floor(((p + 1) * indices.length) / n)));
}

/** out[from..to) = Σ shares[p] · sources[p][from..to), in a fixed order, so every run rounds alike. */
function averageInto(out: Float32Array, from: number, to: number, sources: Float32Array[], shares: number[]): void {
  const used = shares.flatMap((share, p) => (share > 0 ? [p] : []));
  for (let j = from; j < to; j++) {
    let sum = 0;
    for (const p of used) sum += shares[p] * sources[p][j];
    out[j] = sum;
  }
}

function shareCopy(array: Uint8Array | Float32Array | Int32Array): SharedArrayBuffer {
  const shared = new SharedArrayBuffer(array.byteLength);
  new Uint8Array(shared).set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  return shared;
}
