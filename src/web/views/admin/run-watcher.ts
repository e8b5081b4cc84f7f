import type { RunStatus } from '../../../contract/index.ts';

const RECONNECT_MS = 3000;

export const isFinished = (run: { status: RunStatus }) => run.status === 'completed' || run.status === 'failed' || run.status === 'cancelled';

export interface RunSource<T> {
  /** The event stream of one run or job (events "run" and "end", as the server's run-events.ts writes them). */
  eventsUrl(id: number): string;
  /** Reads it once, after a dropped stream. */
  read(id: number): Promise<T>;
}

/** Follows training runs or jobs over their event streams; on a dropped stream, asks once (a lost session shows then) and reconnects. */
export class RunWatcher<T extends { status: RunStatus }> {
  private readonly sources = new Map<number, EventSource>();
  private readonly timers = new Set<number>();
  private closed = false;

  constructor(
    private readonly source: RunSource<T>,
    private readonly onRun: (run: T) => void,
  ) {}

  watch(id: number): void {
    if (this.closed || this.sources.has(id)) return;
    const events = new EventSource(this.source.eventsUrl(id));
    this.sources.set(id, events);
    events.addEventListener('run', (event) => this.onRun(JSON.parse((event as MessageEvent<string>).data) as T));
    events.addEventListener('end', () => this.stop(id));
    events.addEventListener('error', () => {
      this.stop(id);
      this.source
        .read(id)
        .then((run) => {
          this.onRun(run);
          if (!isFinished(run) && !this.closed) {
            const timer = window.setTimeout(() => {
              this.timers.delete(timer);
              this.watch(id);
            }, RECONNECT_MS);
            this.timers.add(timer);
          }
        })
        .catch(() => undefined);
    });
  }

  private stop(id: number): void {
    this.sources.get(id)?.close();
    this.sources.delete(id);
  }

  close(): void {
    this.closed = true;
    for (const id of [...this.sources.keys()]) this.stop(id);
    for (const timer of this.timers) window.clearTimeout(timer);
  }
}
