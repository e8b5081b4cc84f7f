import type { Store } from '../store/index.ts';
import type { RunListener } from './types.ts';

/** The subscribers of each run in this process, told the run's row when it changes. */
export class RunListeners {
  private readonly byRun = new Map<number, Set<RunListener>>();

  constructor(private readonly store: Store) {}

  subscribe(runId: number, listener: RunListener): () => void {
    const set = this.byRun.get(runId) ?? new Set();
    set.add(listener);
    this.byRun.set(runId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.byRun.get(runId) === set) this.byRun.delete(runId);
    };
  }

  /** Reads the run and hands it to its listeners (none: nothing is read). */
  async notify(runId: number): Promise<void> {
    const listeners = this.byRun.get(runId);
    if (!listeners) return;
    const run = await this.store.runs.require(runId);
    for (const listener of [...listeners]) listener(run);
  }

  clear(): void {
    this.byRun.clear();
  }
}
