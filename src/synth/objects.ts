import type { Rng } from '../util/index.ts';
import type { GramReaction, MaskLabel } from './classes.ts';
import type { Cell } from './raster.ts';
import type { Shape } from './shapes.ts';
import type { Specimen } from './specimen.ts';
import { CRYSTAL_VIOLET, SAFRANIN, mixStains, type Rgb } from './stain.ts';

export type ObjectKind = 'organism' | 'host_cell' | 'debris';

/** One annotated thing in a scene: an organism group, a host cell or a debris particle group. */
export interface SceneObject {
  kind: ObjectKind;
  label: MaskLabel;
  /** What it is: 'cluster', 'chain', 'pair', 'rods', 'palisade', 'budding', 'pseudohypha', 'neutrophil', 'precipitate', ... */
  name: string;
  variant: string | null;
  gram: GramReaction | null;
  cells: Cell[];
  /** A clear zone around the object (pneumococcal capsule). */
  halo?: Shape;
  /** True when some cells took the wrong Gram colour (stain fault). */
  miscoloured: boolean;
}

/** What a builder needs: randomness, the physical scale and the slide's staining. */
export interface BuildContext {
  rng: Rng;
  /** Pixels per micrometre. */
  px: number;
  specimen: Specimen;
}

interface CellStain {
  stain: Rgb;
  miscoloured: boolean;
}

/**
 * The colour one organism cell takes on this slide: Gram-positives violet unless decolorised
 * (pink), Gram-negatives pink, shifted towards violet on an under-decolorised slide.
 */
export function organismStain(ctx: BuildContext, gram: GramReaction): CellStain {
  const { rng, specimen } = ctx;
  if (gram === 'positive') {
    const pinkShare = specimen.gramVariable + (specimen.stain === 'over_decolorised' ? specimen.faultSeverity : 0);
    if (rng.chance(pinkShare)) return { stain: mixStains(CRYSTAL_VIOLET, SAFRANIN, rng.uniform(0.55, 1)), miscoloured: true };
    return { stain: CRYSTAL_VIOLET, miscoloured: false };
  }
  if (specimen.stain === 'under_decolorised') {
    return { stain: mixStains(SAFRANIN, CRYSTAL_VIOLET, specimen.faultSeverity * rng.uniform(0.5, 1)), miscoloured: true };
  }
  return { stain: SAFRANIN, miscoloured: false };
}

/** How violet host material (nuclei, background) gets on this slide: more when under-decolorised. */
export function retainedViolet(specimen: Specimen): number {
  if (specimen.stain === 'under_decolorised') return 0.1 + 0.5 * specimen.faultSeverity;
  if (specimen.stain === 'over_decolorised') return 0.02;
  return 0.08;
}
