import { describe, expect, it } from 'vitest';
import { composeViews, flipHorizontal, rotate90, ttaViewsFor, viewOfBatch, type TtaView } from '../../src/augment/index.ts';
import { maxAbsDifference, randomImage } from './helpers.ts';

const ALL_VIEWS: TtaView[] = [false, true].flatMap((flip) => ([0, 1, 2, 3] as const).map((quarterTurns) => ({ flip, quarterTurns })));

describe('test-time augmentation views', () => {
  it('are the flip then the counter-clockwise turns of the augment geometry, image by image', () => {
    const a = randomImage(5, 5, 3, 1);
    const b = randomImage(5, 5, 3, 2);
    const batch = new Float32Array([...a.data, ...b.data]);
    for (const view of ALL_VIEWS) {
      const viewed = viewOfBatch(batch, [2, 5, 5, 3], view);
      for (const [i, source] of [a, b].entries()) {
        const expected = rotate90(view.flip ? flipHorizontal(source) : source, view.quarterTurns);
        expect(maxAbsDifference({ ...expected, data: viewed.subarray(i * 75, (i + 1) * 75) }, expected)).toBe(0);
      }
    }
  });

  it('keep the element type and refuse quarter turns of non-square images', () => {
    const bytes = Uint8Array.from({ length: 2 * 3 }, (_, i) => i);
    const turned = viewOfBatch(bytes, [1, 2, 3, 1], { flip: false, quarterTurns: 2 });
    expect(turned).toBeInstanceOf(Uint8Array);
    expect([...turned]).toEqual([5, 4, 3, 2, 1, 0]);
    expect(() => viewOfBatch(bytes, [1, 2, 3, 1], { flip: false, quarterTurns: 1 })).toThrow(/square/);
  });

  it('compose like applying one after the other', () => {
    const image = randomImage(4, 4, 1, 3);
    for (const first of ALL_VIEWS) {
      for (const second of ALL_VIEWS) {
        const twice = viewOfBatch(viewOfBatch(image.data, [1, 4, 4, 1], first), [1, 4, 4, 1], second);
        expect([...twice]).toEqual([...viewOfBatch(image.data, [1, 4, 4, 1], composeViews(first, second))]);
      }
    }
  });

  it('are the group the training flips and turns generate', () => {
    expect(ttaViewsFor('microscopy', true)).toHaveLength(8);
    expect(ttaViewsFor('microscopy', false)).toEqual([
      { flip: false, quarterTurns: 0 },
      { flip: true, quarterTurns: 0 },
      { flip: true, quarterTurns: 2 },
      { flip: false, quarterTurns: 2 },
    ]);
    expect(ttaViewsFor({ flipHorizontal: { p: 0.5 } }, true)).toEqual([
      { flip: false, quarterTurns: 0 },
      { flip: true, quarterTurns: 0 },
    ]);
    expect(ttaViewsFor({ rotate90: { p: 0.5 } }, true).map((view) => view.quarterTurns)).toEqual([0, 1, 2, 3]);
    expect(ttaViewsFor('radiology', true)).toEqual([{ flip: false, quarterTurns: 0 }]);
    expect(ttaViewsFor({ flipHorizontal: { p: 0 } }, true)).toHaveLength(1);
    expect(ttaViewsFor(undefined, true)).toHaveLength(1);
  });
});
