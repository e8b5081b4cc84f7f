import type { Rng } from '../util/index.ts';
import { retainedViolet, type BuildContext, type SceneObject } from './objects.ts';
import { weightedPick } from './sampling.ts';
import type { Cell } from './raster.ts';
import { blob, capsule, circle, ellipse, polygon, union, step, xy, type Point, type Shape } from './shapes.ts';
import { CRYSTAL_VIOLET, HAEM, NEUTRAL, SAFRANIN, addStains, mixStains, scaleStain, type Rgb } from './stain.ts';

const TAU = Math.PI * 2;

const seedOf = (rng: Rng): number => rng.int(2 ** 31);

function plainCell(shape: Shape, stain: Rgb, density = 1): Cell {
  return { shape, stain, density };
}

function hostCell(name: string, cells: Cell[]): SceneObject {
  return { kind: 'host_cell', label: 'host_cell', name, variant: null, gram: null, cells, miscoloured: false };
}

function debrisObject(name: string, cells: Cell[]): SceneObject {
  return { kind: 'debris', label: 'debris', name, variant: null, gram: null, cells, miscoloured: false };
}

/** Nuclear stain: safranin with some retained crystal violet. */
function nuclearStain(ctx: BuildContext): Rgb {
  return mixStains(SAFRANIN, CRYSTAL_VIOLET, retainedViolet(ctx.specimen));
}

/** Neutrophil: ~11 µm, pale granular cytoplasm, nucleus of 2-4 lobes joined by thin strands. */
export function neutrophil(ctx: BuildContext, at: Point): SceneObject {
  const { rng, px } = ctx;
  const radius = rng.uniform(5, 6.5) * px;
  const cytoplasm: Cell = {
    shape: blob(at.x, at.y, radius, 0.05, seedOf(rng)),
    stain: addStains(scaleStain(SAFRANIN, 0.17), scaleStain(CRYSTAL_VIOLET, 0.015)),
    density: rng.uniform(0.8, 1.2),
    mottle: { amount: 0.55, scale: 0.35 * px, seed: seedOf(rng) },
  };
  const lobes = 2 + rng.int(3);
  const nucleus = nuclearStain(ctx);
  const density = rng.uniform(0.55, 0.8);
  const spacing = rng.uniform(2.2, 2.8) * px;
  let angle = rng.uniform(0, TAU);
  let p = step(at, angle + Math.PI, (spacing * (lobes - 1)) / 2);
  const cells: Cell[] = [cytoplasm];
  for (let i = 0; i < lobes; i++) {
    cells.push({
      shape: blob(p.x, p.y, rng.uniform(1.2, 1.6) * px, 0.22, seedOf(rng)),
      stain: nucleus,
      density,
      mottle: { amount: 0.3, scale: 0.5 * px, seed: seedOf(rng) },
    });
    if (i < lobes - 1) {
      angle += rng.uniform(0.3, 1.0) * rng.pick([-1, 1]);
      const next = step(p, angle, spacing);
      cells.push(plainCell(capsule(p, next, 0.3 * px), nucleus, density * 0.6));
      p = next;
    }
  }
  return hostCell('neutrophil', cells);
}

/** Squamous epithelial cell: a large, thin, pale polygon with a small nucleus and a fold. */
export function squamousCell(ctx: BuildContext, at: Point): SceneObject {
  const { rng, px } = ctx;
  const radius = rng.uniform(20, 30) * px;
  const corners = 6 + rng.int(3);
  const start = rng.uniform(0, TAU);
  const points = Array.from({ length: corners }, (_, i) =>
    step(at, start + (i / corners) * TAU + rng.uniform(-0.25, 0.25), radius * rng.uniform(0.75, 1)),
  );
  const body: Cell = {
    shape: polygon(points, 0.5 * px),
    stain: scaleStain(SAFRANIN, 0.09),
    density: rng.uniform(0.7, 1.2),
    mottle: { amount: 0.5, scale: 6 * px, seed: seedOf(rng) },
  };
  const foldAngle = rng.uniform(0, TAU);
  const fold = plainCell(capsule(step(at, foldAngle, radius * 0.5), step(at, foldAngle + 2.4, radius * 0.4), 0.5 * px), scaleStain(SAFRANIN, 0.06));
  const nucleusAt = step(at, rng.uniform(0, TAU), radius * rng.uniform(0, 0.2));
  const nucleus = plainCell(ellipse(nucleusAt.x, nucleusAt.y, 2.6 * px, 2.0 * px, rng.uniform(0, TAU)), nuclearStain(ctx), 0.55);
  return hostCell('squamous_epithelial', [body, fold, nucleus]);
}

/** Red cell (often a lysed ghost): a pale orange-pink disk with central pallor. */
export function redCell(ctx: BuildContext, at: Point): SceneObject {
  const { rng, px } = ctx;
  const radius = rng.uniform(3.4, 3.9) * px;
  const shape = rng.chance(0.2) ? blob(at.x, at.y, radius, 0.08, seedOf(rng)) : circle(at.x, at.y, radius);
  return hostCell('red_cell', [{ shape, stain: HAEM, density: rng.uniform(0.25, 0.7), hole: { shape: circle(at.x, at.y, radius * 0.55), clearing: 0.3 } }]);
}

/** Crystal-violet precipitate: small dark angular grains, easily mistaken for Gram-positive cocci. */
function precipitate(ctx: BuildContext, at: Point): SceneObject {
  const { rng, px } = ctx;
  const grains = 1 + rng.int(6);
  const cells = Array.from({ length: grains }, (_, i) => {
    const c = i === 0 ? at : step(at, rng.uniform(0, TAU), rng.uniform(0.4, 2) * px);
    const r = rng.uniform(0.15, 0.5) * px;
    const corners = 3 + rng.int(3);
    const start = rng.uniform(0, TAU);
    const points = Array.from({ length: corners }, (_, k) => step(c, start + (k / corners) * TAU + rng.uniform(-0.3, 0.3), r * rng.uniform(0.5, 1)));
    return plainCell(polygon(points, 0.12 * px), CRYSTAL_VIOLET, rng.uniform(0.7, 1.3));
  });
  return debrisObject('precipitate', cells);
}

/** Kinked, lumpy pink fragment about the size of a rod (fibrin, a degenerate cell). */
function rodFragment(ctx: BuildContext, at: Point): SceneObject {
  const { rng, px } = ctx;
  const radius = rng.uniform(0.25, 0.45) * px;
  const angle = rng.uniform(0, TAU);
  const a = step(at, angle, rng.uniform(0.6, 1.8) * px);
  const b = step(at, angle + Math.PI + rng.uniform(-0.9, 0.9), rng.uniform(0.6, 1.8) * px);
  const lumps = [at, a, b].map((p) => blob(p.x, p.y, radius * rng.uniform(0.9, 1.5), 0.35, seedOf(rng)));
  const stain = mixStains(SAFRANIN, CRYSTAL_VIOLET, rng.chance(0.3) ? rng.uniform(0.3, 0.8) : 0);
  return debrisObject('fragment', [
    {
      shape: union([capsule(at, a, radius * 0.7), capsule(at, b, radius * 0.7), ...lumps]),
      stain,
      density: rng.uniform(0.35, 0.7),
      mottle: { amount: 0.5, scale: 0.4 * px, seed: seedOf(rng) },
    },
  ]);
}

function granules(ctx: BuildContext, at: Point): SceneObject {
  const { rng, px } = ctx;
  const count = 3 + rng.int(10);
  const cells = Array.from({ length: count }, () =>
    plainCell(circle(...xy(step(at, rng.uniform(0, TAU), rng.uniform(0, 2) * px)), rng.uniform(0.15, 0.4) * px), SAFRANIN, rng.uniform(0.3, 0.8)),
  );
  return debrisObject('granules', cells);
}

function fibre(ctx: BuildContext, at: Point): SceneObject {
  const { rng, px } = ctx;
  const radius = rng.uniform(0.1, 0.22) * px;
  let angle = rng.uniform(0, TAU);
  let p = at;
  const segments: Shape[] = [];
  for (let i = 0, n = 5 + rng.int(8); i < n; i++) {
    const next = step(p, angle, rng.uniform(1.5, 3) * px);
    segments.push(capsule(p, next, radius));
    p = next;
    angle += rng.normal() * 0.35;
  }
  return debrisObject('fibre', [plainCell(union(segments), SAFRANIN, rng.uniform(0.15, 0.35))]);
}

function clump(ctx: BuildContext, at: Point): SceneObject {
  const { rng, px } = ctx;
  return debrisObject('clump', [
    {
      shape: blob(at.x, at.y, rng.uniform(1.5, 5) * px, 0.25, seedOf(rng)),
      stain: mixStains(SAFRANIN, CRYSTAL_VIOLET, retainedViolet(ctx.specimen)),
      density: rng.uniform(0.12, 0.35),
      mottle: { amount: 0.6, scale: 0.6 * px, seed: seedOf(rng) },
    },
  ]);
}

function dust(ctx: BuildContext, at: Point): SceneObject {
  const { rng, px } = ctx;
  return debrisObject('dust', [plainCell(blob(at.x, at.y, rng.uniform(0.3, 1.2) * px, 0.3, seedOf(rng)), NEUTRAL, rng.uniform(0.3, 0.8))]);
}

const ORDINARY_DEBRIS = [
  { build: granules, weight: 4 },
  { build: clump, weight: 3 },
  { build: dust, weight: 2 },
  { build: fibre, weight: 1 },
];

/** A debris particle group; with probability specimen.mimicDebris one that looks like organisms. */
export function debris(ctx: BuildContext, at: Point): SceneObject {
  const { rng, specimen } = ctx;
  if (rng.chance(specimen.mimicDebris)) return rng.chance(0.5) ? precipitate(ctx, at) : rodFragment(ctx, at);
  return weightedPick(rng, ORDINARY_DEBRIS, (d) => d.weight).build(ctx, at);
}
