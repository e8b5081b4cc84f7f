import { describe, expect, it } from 'vitest';
import { classColours } from '../../src/inference/index.ts';
import { CLASS_IDS } from '../../src/synth/index.ts';
import { colourDistance, VISIONS } from './colour-vision.ts';

/** Morphotypes a technician mistakes for each other on a Gram stain. */
const CONFUSABLE = [
  ['gnr', 'gpc_chains'],
  ['gpc_clusters', 'gpc_chains'],
  ['gpc_chains', 'gpc_diplococci'],
  ['gpc_clusters', 'gpc_diplococci'],
  ['gpc_diplococci', 'gnc'],
  ['gpr', 'gnr'],
  ['gnr', 'gnc'],
  ['gpr', 'gpc_chains'],
  ['gpc_clusters', 'yeast'],
] as const;

describe('tile map palette', () => {
  it('keeps the classes a technician confuses far apart, for colour-blind eyes too', () => {
    const colours = classColours(CLASS_IDS, 'no_bacteria');
    for (const [a, b] of CONFUSABLE) {
      for (const vision of VISIONS) expect(colourDistance(colours.get(a)!, colours.get(b)!, vision), `${a} / ${b}, ${vision}`).toBeGreaterThan(30);
    }
  });

  it('gives every class its own colour', () => {
    const colours = [...classColours(CLASS_IDS, 'no_bacteria').values()];
    expect(new Set(colours).size).toBe(CLASS_IDS.length);
  });
});
