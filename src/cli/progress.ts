/** A one-line progress bar for long jobs: redrawn in place on a terminal, printed sparsely otherwise. */
export class ProgressLine {
  private lastPrinted = 0;
  private readonly interactive: boolean;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.interactive = Boolean(stream.isTTY) && !process.env.CI;
  }

  update(fraction: number, text: string): void {
    const now = Date.now();
    if (!this.interactive && now - this.lastPrinted < 5000 && fraction < 1) return;
    this.lastPrinted = now;
    const line = `${renderBar(fraction, 24)} ${(fraction * 100).toFixed(0).padStart(3)}% ${text}`;
    if (this.interactive) {
      const width = this.stream.columns ?? 100;
      this.stream.write(`\r${line.slice(0, width - 1).padEnd(width - 1)}`);
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  /** Ends the bar and prints a permanent line. */
  log(text: string): void {
    if (this.interactive) this.stream.write(`\r${' '.repeat((this.stream.columns ?? 100) - 1)}\r`);
    this.stream.write(`${text}\n`);
  }
}

export function renderBar(fraction: number, width: number): string {
  const clamped = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(clamped * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(rest).padStart(2, '0')}` : `${m}:${String(rest).padStart(2, '0')}`;
}
