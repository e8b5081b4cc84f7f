import { BusyError } from './errors.ts';

interface Waiter {
  pixels: number;
  start: () => void;
}

/**
 * Bounds the pixels being decoded at once: storing a photo and running the model on it take memory
 * in proportion to its pixels (the predictor holds the upright photo as raw pixels). Work waits in FIFO
 * order until its pixels fit the budget; one image larger than the whole budget runs alone. When
 * `maxWaiting` jobs already wait, more are refused at once (503 with Retry-After) instead of piling up.
 */
export class DecodeBudget {
  private inUse = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    readonly capacity: number,
    readonly maxWaiting: number,
  ) {
    if (!(capacity > 0) || !Number.isInteger(maxWaiting) || maxWaiting < 0) throw new Error('a decode budget needs a positive capacity and a non-negative maxWaiting');
  }

  async run<T>(pixels: number, work: () => Promise<T>): Promise<T> {
    const cost = Math.min(Math.max(1, pixels), this.capacity);
    await this.acquire(cost);
    try {
      return await work();
    } finally {
      this.inUse -= cost;
      this.startWaiting();
    }
  }

  private acquire(cost: number): Promise<void> {
    if (this.waiting.length === 0 && this.inUse + cost <= this.capacity) {
      this.inUse += cost;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.maxWaiting) return Promise.reject(new BusyError('The server is busy decoding other images; try again in a moment'));
    return new Promise((resolve) => this.waiting.push({ pixels: cost, start: resolve }));
  }

  private startWaiting(): void {
    while (this.waiting.length > 0 && this.inUse + this.waiting[0].pixels <= this.capacity) {
      const next = this.waiting.shift()!;
      this.inUse += next.pixels;
      next.start();
    }
  }
}
