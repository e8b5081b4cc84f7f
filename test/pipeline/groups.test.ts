import { describe, expect, it } from 'vitest';
import { poolByGroup } from '../../src/pipeline/index.ts';

describe('poolByGroup', () => {
  it('averages the probabilities of each group, in first-appearance order', () => {
    const probabilities = Float32Array.from([0.9, 0.1, 0.4, 0.6, 0.2, 0.8, 0.5, 0.5]);
    const pooled = poolByGroup(probabilities, Int32Array.from([0, 1, 0, 1]), ['f2', 'f1', 'f2', 'f1'], 2);
    expect(pooled.groups).toEqual(['f2', 'f1']);
    expect(Array.from(pooled.labels)).toEqual([0, 1]);
    expect(Array.from(pooled.probabilities).map((v) => Number(v.toFixed(6)))).toEqual([0.55, 0.45, 0.45, 0.55]);
  });

  it('refuses a group whose images disagree on the label', () => {
    expect(() => poolByGroup(Float32Array.from([1, 0, 0, 1]), Int32Array.from([0, 1]), ['f', 'f'], 2)).toThrow(/mixes images of different classes/);
  });
});
