/**
 * Keeps a model from being swapped out under a running prediction: predictions share the gate,
 * an activation has it alone. An activation waits for the predictions in flight to finish, and
 * predictions that arrive meanwhile wait for the activation (so a stream of predictions cannot
 * hold it off forever).
 */
export class ModelGate {
  private running = 0;
  private swapping: Promise<void> | null = null;
  private drained: (() => void) | null = null;

  /** Runs a prediction with the current model. */
  async use<T>(work: () => Promise<T>): Promise<T> {
    while (this.swapping) await this.swapping;
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      if (this.running === 0) this.drained?.();
    }
  }

  /** Runs an activation once no prediction is running, holding new ones until it is done. */
  async swap<T>(work: () => Promise<T>): Promise<T> {
    while (this.swapping) await this.swapping;
    let finish!: () => void;
    this.swapping = new Promise((resolve) => (finish = resolve));
    try {
      if (this.running > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      return await work();
    } finally {
      this.drained = null;
      this.swapping = null;
      finish();
    }
  }
}
