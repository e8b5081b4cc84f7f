import type { FastifyBaseLogger } from 'fastify';
import { MODEL_ACTIVATED_CHANNEL, type Listening, type ModelRecord, type Store } from '../store/index.ts';
import { HttpError } from './errors.ts';
import { ModelGate } from './model-gate.ts';
import type { Predictor } from './options.ts';

/** What this server answers predictions with. */
export type Serving =
  | { state: 'none' }
  | { state: 'serving'; model: ModelRecord }
  /** The database's active model, which this server could not load: it refuses predictions rather than answer with another model. */
  | { state: 'unavailable'; model: ModelRecord; reason: string };

/** How long a server that could not load the active model waits before trying again: `firstMs`, doubling up to `maxMs`. */
export interface RetryDelays {
  firstMs: number;
  maxMs: number;
}

const DEFAULT_RETRY_DELAYS: RetryDelays = { firstMs: 1000, maxMs: 60_000 };

/**
 * The model this server answers with, kept to the database's active model. An admin's activation on
 * this server loads the model first (refused with 422, the previous model kept, when it cannot) and
 * then commits it; on PostgreSQL the commit tells every server sharing the database (NOTIFY), and
 * each loads it through its own gate, so predictions never see a model swapped under them. A server
 * whose listening connection was lost re-reads the active model when it is back. A server that cannot
 * load the active model (e.g. the bundle is not on its disk) logs why and refuses predictions with 503
 * until it can: answering with the old model would give an answer the audit trail does not expect.
 * It tries again after 1 s, doubling up to a minute (bundles on a network volume may be announced
 * before this server sees their files), and whenever the model is activated again. On SQLite (one
 * machine) no other server is told.
 */
export class ServedModel {
  private serving: Serving = { state: 'none' };
  private listening: Listening | null = null;
  private readonly gate = new ModelGate();
  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs: number;
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly predictor: Predictor | undefined,
    private readonly log: FastifyBaseLogger,
    private readonly retry: RetryDelays = DEFAULT_RETRY_DELAYS,
  ) {
    this.retryMs = retry.firstMs;
  }

  get current(): Serving {
    return this.serving;
  }

  /** Listens for activations (PostgreSQL), then loads the active model unless the predictor serves it already. */
  async start(): Promise<void> {
    const listening = await this.store.db.listen?.(MODEL_ACTIVATED_CHANNEL, {
      message: () => this.followSoon(),
      reconnected: () => {
        this.log.info('listening for model activations again: re-reading the active model');
        this.followSoon();
      },
      failed: (error) => this.log.warn({ err: error }, 'the connection that listens for model activations failed; reconnecting'),
    });
    this.listening = listening ?? null;
    await this.follow();
  }

  /** Stops following activations and waits for a load in progress, after which the predictor may be disposed. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopRetrying();
    await this.listening?.stop();
    this.listening = null;
    await this.gate.swap(async () => {});
  }

  /** Loads the database's active model unless this server serves it already. */
  async follow(): Promise<void> {
    if (this.closed || this.isServing(await this.store.models.active())) return;
    await this.gate.swap(async () => {
      if (this.closed) return;
      const active = await this.store.models.active();
      if (!this.isServing(active)) await this.load(active);
    });
  }

  /** An admin's activation on this server: loaded here first, then committed (and announced). */
  async activate(id: number): Promise<ModelRecord> {
    const model = await this.store.models.require(id);
    return this.gate.swap(async () => {
      try {
        await this.predictor?.activate?.(model);
      } catch (error) {
        this.log.error({ err: error, modelId: id }, 'model activation failed');
        throw new HttpError(422, `the model could not be loaded: ${(error as Error).message}`);
      }
      try {
        const activated = await this.store.models.activate(id);
        this.serving = { state: 'serving', model: activated };
        this.stopRetrying();
        return activated;
      } catch (error) {
        // Loaded but not committed: back to whatever the database says is active.
        await (async () => this.load(await this.store.models.active()))().catch(() => {
          this.serving = { state: 'unavailable', model, reason: 'its activation could not be recorded' };
        });
        throw error;
      }
    });
  }

  /**
   * Runs a prediction (or hands out the model's files) with the model this server serves, which
   * `work` is given to record as the one that answered; refused with 503 when this server could not
   * load the active model.
   */
  use<T>(work: (model: ModelRecord | null) => Promise<T>): Promise<T> {
    return this.gate.use(async () => {
      const serving = this.serving;
      if (serving.state === 'unavailable') {
        // the reason (which may name server paths) is in the server's log
        throw new HttpError(503, `this server could not load the active model "${serving.model.name}": ask an administrator`);
      }
      return work(serving.state === 'serving' ? serving.model : null);
    });
  }

  private followSoon(): void {
    if (this.closed) return;
    this.follow().catch((error: unknown) => this.log.error({ err: error }, 'could not follow a model activation'));
  }

  private isServing(active: ModelRecord | null): boolean {
    return active === null ? this.serving.state === 'none' : this.serving.state === 'serving' && this.serving.model.id === active.id;
  }

  /** Inside the gate: the predictor loads the model; a failure leaves this server refusing predictions. */
  private async load(model: ModelRecord | null): Promise<void> {
    if (!model) {
      this.serving = { state: 'none' };
      this.stopRetrying();
      return;
    }
    try {
      await this.predictor?.activate?.(model);
      this.serving = { state: 'serving', model };
      this.stopRetrying();
      this.log.info({ modelId: model.id, path: model.path }, 'serving the active model');
    } catch (error) {
      this.serving = { state: 'unavailable', model, reason: (error as Error).message };
      this.log.error({ err: error, modelId: model.id, path: model.path, retryInMs: this.retryMs }, 'could not load the active model: predictions are refused until it loads');
      this.retryLater();
    }
  }

  private retryLater(): void {
    if (this.closed) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.followSoon();
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, this.retry.maxMs);
  }

  private stopRetrying(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryMs = this.retry.firstMs;
  }
}
