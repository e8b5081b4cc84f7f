import type { GramReaction, Morphotype } from './classes.ts';
import { organismStain, type BuildContext, type SceneObject } from './objects.ts';
import { groupCount } from './sampling.ts';
import type { Cell } from './raster.ts';
import { bean, capsule, circle, ellipse, lancet, profiled, roundedBox, union, step, xy, type Point, type Shape } from './shapes.ts';
import type { MorphotypeTraits } from './specimen.ts';

/*
 * Builders of organism groups at a point, in pixel coordinates. Sizes are in µm (times ctx.px).
 * An anchor is the group a tile is guaranteed to show: always a typical one (a cluster or a chain
 * of >= 5 cocci, >= 3 rods, >= 2 bean pairs, ...), so the tile's label is visible in it.
 */

type Builder = (ctx: BuildContext, traits: MorphotypeTraits, at: Point, anchor: boolean) => SceneObject;

const TAU = Math.PI * 2;

/** Assembles an organism object, colouring each cell by the slide's Gram stain. */
function organism(
  ctx: BuildContext,
  morphotype: Morphotype,
  gram: GramReaction,
  name: string,
  variant: string,
  shapes: { shape: Shape; hole?: Cell['hole'] }[],
  extra: { mottle?: number; halo?: Shape } = {},
): SceneObject {
  const { rng, px } = ctx;
  let miscoloured = false;
  const cells = shapes.map(({ shape, hole }): Cell => {
    const { stain, miscoloured: wrong } = organismStain(ctx, gram);
    miscoloured ||= wrong;
    const mottle = extra.mottle ? { amount: extra.mottle, scale: 0.7 * px, seed: rng.int(2 ** 31) } : undefined;
    return { shape, stain, density: rng.uniform(0.8, 1.1), hole, mottle };
  });
  return { kind: 'organism', label: morphotype, name, variant, gram, cells, halo: extra.halo, miscoloured };
}

/**
 * Grape-like clump: each new coccus attaches to an earlier one (the nearer to the start of two
 * picked at random, which keeps the clump compact) without overlapping much.
 */
function growCluster(ctx: BuildContext, at: Point, count: number, diameter: number): Point[] {
  const { rng } = ctx;
  const centres = [at];
  const distance = (p: Point): number => Math.hypot(p.x - at.x, p.y - at.y);
  for (let tries = 0; centres.length < count && tries < count * 30; tries++) {
    const a = rng.pick(centres);
    const b = rng.pick(centres);
    const next = step(distance(a) <= distance(b) ? a : b, rng.uniform(0, TAU), diameter * rng.uniform(0.8, 0.98));
    if (centres.every((c) => Math.hypot(c.x - next.x, c.y - next.y) >= diameter * 0.74)) centres.push(next);
  }
  return centres;
}

const staphylococci: Builder = (ctx, traits, at, anchor) => {
  const { rng, px } = ctx;
  const diameter = 0.9 * traits.sizeScale * px;
  const count = anchor ? Math.max(5, groupCount(rng, traits.groupSize, 5)) : rng.chance(0.3) ? 1 + rng.int(4) : groupCount(rng, traits.groupSize, 3);
  const shapes = growCluster(ctx, at, count, diameter).map((c) => ({ shape: circle(c.x, c.y, (diameter / 2) * (1 + 0.06 * rng.normal())) }));
  return organism(ctx, 'gpc_clusters', 'positive', count >= 5 ? 'cluster' : count === 1 ? 'single' : 'group', traits.variant, shapes);
};

/** Cocci along a gently curving line, in pairs (a slightly wider gap after every second cell). */
const streptococci: Builder = (ctx, traits, at, anchor) => {
  const { rng, px } = ctx;
  const entero = traits.variant === 'enterococcus';
  const diameter = (entero ? 0.95 : 0.85) * traits.sizeScale * px;
  const along = (diameter / 2) * (entero ? 1.12 : 1.0);
  const across = (diameter / 2) * (entero ? 0.9 : 0.97);
  const count = anchor ? Math.max(5, groupCount(rng, traits.groupSize, 5)) : rng.chance(0.25) ? 2 : groupCount(rng, traits.groupSize, 2);
  let angle = rng.uniform(0, TAU);
  let p: Point = { x: 0, y: 0 };
  const path: { p: Point; angle: number }[] = [];
  for (let i = 0; i < count; i++) {
    path.push({ p, angle });
    const gap = 2 * along * (i % 2 === 0 ? 0.9 : 1.1);
    const turn = rng.normal() * 0.18;
    p = step(p, angle + turn / 2, gap);
    angle += turn;
  }
  const mid = path[Math.floor((count - 1) / 2)].p;
  const shapes = path.map(({ p: c, angle: a }) => ({ shape: ellipse(at.x + c.x - mid.x, at.y + c.y - mid.y, along, across, a) }));
  return organism(ctx, 'gpc_chains', 'positive', count >= 3 ? 'chain' : 'pair', traits.variant, shapes);
};

/** Lancet-shaped pairs, broad ends together, in a clear capsule halo. */
const pneumococci: Builder = (ctx, traits, at, anchor) => {
  const { rng, px, specimen } = ctx;
  const length = 1.5 * traits.sizeScale * px;
  const width = 0.9 * traits.sizeScale * px;
  const pairs = !anchor && rng.chance(0.12) ? 2 : 1;
  const angle = rng.uniform(0, TAU);
  const pairSpan = 2 * length + 0.1 * px;
  const shapes: { shape: Shape }[] = [];
  for (let k = 0; k < pairs; k++) {
    const centre = step(at, angle, (k - (pairs - 1) / 2) * (pairSpan + 0.25 * px));
    const offset = length / 2 + 0.04 * px;
    shapes.push({ shape: lancet(...xy(step(centre, angle, offset)), angle, length, width) });
    shapes.push({ shape: lancet(...xy(step(centre, angle, -offset)), angle + Math.PI, length, width) });
  }
  const margin = (0.25 + 0.5 * specimen.capsule) * px;
  const halo = ellipse(at.x, at.y, (pairs * pairSpan) / 2 + margin, width / 2 + margin, angle);
  return organism(ctx, 'gpc_diplococci', 'positive', pairs === 1 ? 'pair' : 'short_chain', traits.variant, shapes, { halo });
};

interface Segment {
  centre: Point;
  angle: number;
  length: number;
}

/** Segments laid end to end along a gently wandering direction, the whole chain centred on `at`. */
function chainAround(ctx: BuildContext, at: Point, count: number, nextLength: () => number, gap: number, wander: number): Segment[] {
  const { rng } = ctx;
  let angle = rng.uniform(0, TAU);
  let end: Point = { x: 0, y: 0 };
  const segments: Segment[] = [];
  for (let i = 0; i < count; i++) {
    const length = nextLength();
    const centre = step(end, angle, length / 2);
    segments.push({ centre, angle, length });
    end = step(centre, angle, length / 2 + gap);
    angle += rng.normal() * wander;
  }
  return segments.map((s) => ({ ...s, centre: { x: at.x + s.centre.x - end.x / 2, y: at.y + s.centre.y - end.y / 2 } }));
}

/** Large Gram-positive rods: boxcar chains (bacillus), rods with spores (clostridium), or palisades (coryneform). */
const grampositiveRods: Builder = (ctx, traits, at, anchor) => {
  const { rng, px } = ctx;
  const s = traits.sizeScale * px;
  if (traits.variant === 'coryneform') return coryneforms(ctx, traits, at, anchor);
  const spores = traits.variant === 'clostridium';
  const width = (spores ? 1.0 : 1.1) * s;
  const count = Math.max(anchor ? 2 : 1, groupCount(rng, traits.groupSize, 1));
  const rods = chainAround(ctx, at, count, () => rng.uniform(3, 6) * s, 0.15 * s, 0.25).map(({ centre, angle, length }) => {
    const shape = roundedBox(centre.x, centre.y, length / 2, width / 2, angle, width * (spores ? 0.4 : 0.22));
    const hole = spores && rng.chance(0.5)
      ? { shape: ellipse(...xy(step(centre, angle, length * rng.pick([0.28, -0.28, 0]))), 0.65 * s, 0.4 * s, angle), clearing: 0.85 }
      : undefined;
    return { shape, hole };
  });
  return organism(ctx, 'gpr', 'positive', count > 1 ? 'chain' : 'rod', traits.variant, rods);
};

/** Club-shaped thinner rods side by side (palisades) or at angles (V and L shapes). */
function coryneforms(ctx: BuildContext, traits: MorphotypeTraits, at: Point, anchor: boolean): SceneObject {
  const { rng, px } = ctx;
  const s = traits.sizeScale * px;
  const halfWidth = 0.34 * s;
  const club = (c: Point, angle: number, length: number): Shape =>
    profiled(c.x, c.y, angle, length / 2, (t) => halfWidth * (0.7 + 0.3 * (t + 1) / 2) * Math.sqrt(1 - t ** 8), halfWidth);
  const angle = rng.uniform(0, TAU);
  if (!anchor && rng.chance(0.3)) {
    const length = rng.uniform(2.5, 4) * s;
    const spread = rng.uniform(0.5, 1.5);
    const shapes = [angle, angle + spread].map((a) => ({ shape: club(step(at, a, length / 2), a, length) }));
    return organism(ctx, 'gpr', 'positive', 'v_form', traits.variant, shapes);
  }
  const count = Math.max(anchor ? 3 : 2, groupCount(rng, traits.groupSize, 2));
  const shapes = Array.from({ length: count }, (_, i) => {
    const across = step(at, angle + Math.PI / 2, (i - (count - 1) / 2) * halfWidth * 2.5);
    const c = step(across, angle, rng.uniform(-0.4, 0.4) * s);
    return { shape: club(c, angle + rng.normal() * 0.12 + (rng.chance(0.5) ? Math.PI : 0), rng.uniform(2.5, 4) * s) };
  });
  return organism(ctx, 'gpr', 'positive', 'palisade', traits.variant, shapes);
}

/** Scattered Gram-negative rods: large (enteric, some bipolar) or small coccobacilli. */
const gramnegativeRods: Builder = (ctx, traits, at, anchor) => {
  const { rng, px } = ctx;
  const s = traits.sizeScale * px;
  const small = traits.variant === 'small';
  const count = Math.max(anchor ? (small ? 4 : 3) : 1, groupCount(rng, traits.groupSize, 1));
  const spread = (small ? 1.5 : 2.5) * s * Math.sqrt(count);
  const centres = [at];
  for (let tries = 0; centres.length < count && tries < count * 10; tries++) {
    const c = step(at, rng.uniform(0, TAU), spread * Math.sqrt(rng.next()));
    if (centres.every((o) => Math.hypot(o.x - c.x, o.y - c.y) > (small ? 1.1 : 1.6) * s)) centres.push(c);
  }
  const rods = centres.map((c) => {
    const angle = rng.uniform(0, TAU);
    if (small) {
      const length = rng.uniform(1.1, 2.0) * s;
      return { shape: ellipse(c.x, c.y, length / 2, 0.26 * s * rng.uniform(0.9, 1.15), angle) };
    }
    const length = rng.uniform(1.8, 3.2) * s;
    const radius = 0.4 * s * rng.uniform(0.9, 1.1);
    const a = step(c, angle, length / 2 - radius);
    const b = step(c, angle, -(length / 2 - radius));
    const hole = rng.chance(0.1) ? { shape: ellipse(c.x, c.y, length * 0.22, radius, angle), clearing: 0.35 } : undefined;
    return { shape: capsule(a, b, radius), hole };
  });
  return organism(ctx, 'gnr', 'negative', rods.length > 1 ? 'rods' : 'rod', traits.variant, rods);
};

/** Kidney-bean diplococci, flat faces together; sometimes tetrads or small groups of pairs. */
const neisseriae: Builder = (ctx, traits, at, anchor) => {
  const { rng, px } = ctx;
  const r = 0.5 * traits.sizeScale * px;
  const pairs = anchor ? 2 + (rng.chance(0.4) ? 1 : 0) : groupCount(rng, traits.groupSize, 1);
  const shapes: { shape: Shape }[] = [];
  let centre = at;
  const baseAngle = rng.uniform(0, TAU);
  for (let k = 0; k < pairs; k++) {
    const angle = baseAngle + (rng.chance(0.6) ? 0 : rng.uniform(-0.6, 0.6));
    const offset = 0.7 * r + 0.08 * px;
    const a = step(centre, angle, offset);
    const b = step(centre, angle, -offset);
    shapes.push({ shape: bean(a.x, a.y, r, angle + Math.PI) }, { shape: bean(b.x, b.y, r, angle) });
    centre = step(centre, baseAngle + Math.PI / 2 + rng.normal() * 0.4, 2.3 * r * rng.uniform(1, 1.25));
  }
  return organism(ctx, 'gnc', 'negative', pairs === 1 ? 'pair' : 'pairs', traits.variant, shapes);
};

/** Oval budding yeasts, or pseudohyphae: sausage-like cells end to end with buds at the joints. */
const yeasts: Builder = (ctx, traits, at, anchor) => {
  const { rng, px } = ctx;
  const s = traits.sizeScale * px;
  if (traits.variant === 'pseudohyphae' && (anchor || rng.chance(0.6))) {
    const count = anchor ? 3 + rng.int(3) : 2 + rng.int(5);
    const shapes: Shape[] = [];
    for (const { centre, angle, length } of chainAround(ctx, at, count, () => rng.uniform(4.4, 6.8) * s, -0.3 * s, 0.25)) {
      shapes.push(ellipse(centre.x, centre.y, length / 2, rng.uniform(0.9, 1.2) * s, angle));
      if (rng.chance(0.4)) {
        const joint = step(centre, angle, length / 2 - 0.3 * s);
        shapes.push(circle(...xy(step(joint, angle + (rng.pick([-1, 1]) * Math.PI) / 2, 0.9 * s)), rng.uniform(0.7, 1.0) * s));
      }
    }
    return organism(ctx, 'yeast', 'positive', 'pseudohypha', traits.variant, shapes.map((shape) => ({ shape })), { mottle: 0.35 });
  }
  const count = anchor ? 1 : groupCount(rng, traits.groupSize, 1);
  const shapes: Shape[] = [];
  for (let i = 0; i < count; i++) {
    const rx = 2.0 * s * rng.uniform(0.85, 1.15);
    const ry = rx * rng.uniform(0.7, 0.88);
    const angle = rng.uniform(0, TAU);
    const c = i === 0 ? at : step(at, rng.uniform(0, TAU), rx * rng.uniform(1.8, 2.4));
    shapes.push(ellipse(c.x, c.y, rx, ry, angle));
    if (rng.chance(anchor ? 0.8 : 0.55)) {
      const k = rng.uniform(0.35, 0.7);
      shapes.push(ellipse(...xy(step(c, angle, rx + k * rx * 0.85)), rx * k, ry * k, angle));
    }
  }
  return organism(ctx, 'yeast', 'positive', 'budding', traits.variant, [{ shape: union(shapes) }], { mottle: 0.35 });
};

const BUILDERS: Record<Morphotype, Builder> = {
  gpc_clusters: staphylococci,
  gpc_chains: streptococci,
  gpc_diplococci: pneumococci,
  gpr: grampositiveRods,
  gnr: gramnegativeRods,
  gnc: neisseriae,
  yeast: yeasts,
};

export function buildOrganism(ctx: BuildContext, morphotype: Morphotype, traits: MorphotypeTraits, at: Point, anchor: boolean): SceneObject {
  return BUILDERS[morphotype](ctx, traits, at, anchor);
}
