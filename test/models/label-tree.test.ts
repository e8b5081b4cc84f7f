import { describe, expect, it } from 'vitest';
import { aggregateProbabilities, treeLevels } from '../../src/models/index.ts';

const tree = [
  { name: 'GPC', children: [{ name: 'staph' }, { name: 'strep' }] },
  { name: 'GNR', children: [{ name: 'ecoli' }] },
  { name: 'yeast' },
];

describe('label tree levels', () => {
  it('maps every class to its group, a shallow leaf standing for itself', () => {
    const [level] = treeLevels(tree, ['ecoli', 'staph', 'strep', 'yeast']);
    expect(level.names).toEqual(['GNR', 'GPC', 'yeast']);
    expect(Array.from(level.classToGroup)).toEqual([0, 1, 1, 2]);
  });

  it('sums probabilities up the tree', () => {
    const [level] = treeLevels(tree, ['staph', 'strep', 'ecoli', 'yeast']);
    const grouped = aggregateProbabilities(Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.25, 0.25, 0]), level);
    expect(Array.from(grouped).map((v) => Number(v.toFixed(6)))).toEqual([0.3, 0.3, 0.4, 0.75, 0.25, 0]);
  });

  it('names classes the tree misses or repeats', () => {
    expect(() => treeLevels(tree, ['staph', 'strep', 'ecoli'])).toThrow(/not classes of the model: yeast/);
    expect(() => treeLevels(tree, ['staph', 'strep', 'ecoli', 'yeast', 'candida'])).toThrow(/does not place class\(es\) candida/);
    expect(() => treeLevels([...tree, { name: 'x', children: [{ name: 'staph' }] }], ['staph'])).toThrow(/appears twice/);
  });
});
