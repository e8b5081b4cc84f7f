import { describe, expect, it } from 'vitest';
import { labelNamer } from '../../src/web/label-tree.ts';
import { swipeDirection } from '../../src/web/swipe.ts';

describe('labelNamer', () => {
  const name = labelNamer([{ name: 'GPC', displayName: 'Gram-positive cocci', children: [{ name: 'gpc_clusters', displayName: 'Gram-positive cocci in clusters' }, { name: 'gpc_chains' }] }]);

  it('shows a class or group by its display name, the extra choices in words, and other labels as they are', () => {
    expect(name('gpc_clusters')).toBe('Gram-positive cocci in clusters');
    expect(name('GPC')).toBe('Gram-positive cocci');
    expect(name('gpc_chains')).toBe('gpc_chains');
    expect(name('unclear')).toBe('Unclear');
    expect(name('skip')).toBe('Skip');
    expect(labelNamer(null)('gnr')).toBe('gnr');
  });
});

describe('swipeDirection', () => {
  it('reads a long, mostly sideways drag as a swipe and anything else as none', () => {
    expect(swipeDirection({ x: 300, y: 200 }, { x: 100, y: 220 })).toBe('left');
    expect(swipeDirection({ x: 100, y: 200 }, { x: 300, y: 180 })).toBe('right');
    expect(swipeDirection({ x: 100, y: 200 }, { x: 140, y: 200 })).toBeNull();
    expect(swipeDirection({ x: 100, y: 200 }, { x: 200, y: 400 })).toBeNull();
  });
});
