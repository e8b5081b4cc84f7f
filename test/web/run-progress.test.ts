import { describe, expect, it } from 'vitest';
import { progressFraction, progressLine, progressValues } from '../../src/web/views/admin/run-progress.ts';

describe('run and job progress', () => {
  it("reads a job's items done of the total", () => {
    expect(progressFraction({ done: 3, total: 12 })).toBe(0.25);
    expect(progressLine({ done: 3, total: 12 })).toBe('3 of 12');
    expect(progressValues({ done: 3, total: 12 })).toEqual([]);
  });

  it('counts a job with nothing to do as finished and never goes past 1', () => {
    expect(progressFraction({ done: 0, total: 0 })).toBe(1);
    expect(progressFraction({ done: 7, total: 5 })).toBe(1);
  });

  it("still reads a training run's epochs and steps", () => {
    const progress = { kind: 'step', epoch: 1, epochs: 4, step: 5, stepsPerEpoch: 10, loss: 0.5 };
    expect(progressFraction(progress)).toBe(0.375);
    expect(progressLine(progress)).toBe('epoch 2 of 4 · step 5 of 10');
    expect(progressValues(progress)).toEqual([['loss', '0.500']]);
  });
});
