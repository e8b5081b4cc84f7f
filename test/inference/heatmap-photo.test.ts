import { describe, expect, it } from 'vitest';
import { visibleRegion } from '../../src/inference/index.ts';

describe('visibleRegion', () => {
  it('is the centred crop of the input aspect for cover, the whole photo otherwise', () => {
    expect(visibleRegion(400, 200, 64, 64, 'cover')).toEqual({ left: 100, top: 0, width: 200, height: 200 });
    expect(visibleRegion(200, 400, 64, 32, 'cover')).toEqual({ left: 0, top: 150, width: 200, height: 100 });
    expect(visibleRegion(400, 200, 64, 64, 'fill')).toEqual({ left: 0, top: 0, width: 400, height: 200 });
    expect(visibleRegion(64, 64, 64, 64, 'cover')).toEqual({ left: 0, top: 0, width: 64, height: 64 });
  });
});
