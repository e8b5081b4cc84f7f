import { describe, expect, it } from 'vitest';
import { readableBundleName } from '../../src/cli/commands/serve.ts';

describe('gramlens serve model names', () => {
  it('names a bundle after its run, not after the generic folders a run writes', () => {
    expect(readableBundleName('/data/gramlens-demo/run/model')).toBe('gramlens-demo');
    expect(readableBundleName('/runs/sputum-2026-12/model/')).toBe('sputum-2026-12');
    expect(readableBundleName('/bundles/gram-v3')).toBe('gram-v3');
  });
});
