import { h } from '../../dom.ts';

/**
 * What the result area shows from "Analyse" to the answer: a spinner, the step ("Preparing the
 * photo…", "Uploading… 40%", "Analysing…") and the seconds elapsed.
 */
export class Waiting {
  readonly element: HTMLElement;
  private readonly step = h('strong', { class: 'waiting-step' });
  private readonly elapsed = h('span', { class: 'waiting-elapsed' });
  private readonly started = performance.now();
  private readonly timer: number;

  constructor(step: string) {
    this.element = h(
      'div',
      { class: 'waiting', attrs: { role: 'status', 'aria-live': 'polite' } },
      h('span', { class: 'spinner', attrs: { 'aria-hidden': 'true' } }),
      h('span', { class: 'waiting-text' }, this.step, this.elapsed),
    );
    this.show(step);
    this.tick();
    this.timer = window.setInterval(() => this.tick(), 1000);
  }

  show(step: string): void {
    this.step.textContent = step;
  }

  /** The upload's progress (null: sent, the server is at work). */
  uploading(sentFraction: number | null): void {
    this.show(sentFraction === null ? 'Analysing…' : `Uploading… ${Math.round(sentFraction * 100)}%`);
  }

  private tick(): void {
    this.elapsed.textContent = `${Math.floor((performance.now() - this.started) / 1000)} s`;
  }

  stop(): void {
    window.clearInterval(this.timer);
  }
}
