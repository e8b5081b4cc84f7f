import type { Rng } from '../util/index.ts';
import { classInfo, maskValueOf, type GramReaction, type MaskLabel } from './classes.ts';
import { debris, neutrophil, redCell, squamousCell } from './host.ts';
import { fractalNoise } from './noise.ts';
import type { BuildContext, ObjectKind, SceneObject } from './objects.ts';
import type { Eyepiece } from './optics.ts';
import { buildOrganism } from './organisms.ts';
import { clearInside, growBox, paintCell, type Canvas, type PixelBox } from './raster.ts';
import type { Point } from './shapes.ts';
import { poisson, weightedPick } from './sampling.ts';
import type { FieldConditions, Specimen, SpecimenOrganism } from './specimen.ts';

/** A drawn object as exported: what it is and the pixel box of its mask. */
export interface ObjectAnnotation {
  kind: ObjectKind;
  label: MaskLabel;
  maskValue: number;
  name: string;
  variant: string | null;
  gram: GramReaction | null;
  /** Number of cells (or parts) drawn. */
  cells: number;
  miscoloured: boolean;
  /** [x, y, width, height] in pixels, of the object's mask pixels in view. */
  bbox: [number, number, number, number];
}

export interface SceneRequest {
  rng: Rng;
  specimen: Specimen;
  field: FieldConditions;
  width: number;
  height: number;
  px: number;
  originUm: Point;
  eyepiece: Eyepiece | null;
  /** Tiles guarantee their label's organisms near the centre; fields guarantee a few of each. */
  mode: 'tile' | 'field';
}

/** How far outside the window (µm) an object's centre may lie and still reach into it. */
const MARGIN_UM = { organism: 4, neutrophil: 6.5, squamous: 30, redCell: 4, debris: 5 };

/** Fewest groups of each organism of the specimen in a whole field. */
const MIN_FIELD_GROUPS = 3;

/** Points where objects are placed: the window plus a margin, inside the eyepiece for fields. */
function placer(request: SceneRequest) {
  const { rng, width, height, px, eyepiece } = request;
  /** Area in µm² over which centres are drawn. */
  const area = (marginUm: number): number => (width / px + 2 * marginUm) * (height / px + 2 * marginUm);
  const point = (marginUm: number): Point | null => {
    const m = marginUm * px;
    const p = { x: rng.uniform(-m, width + m), y: rng.uniform(-m, height + m) };
    if (eyepiece && Math.hypot(p.x - eyepiece.cx, p.y - eyepiece.cy) > eyepiece.radius + m) return null;
    return p;
  };
  return { area, point };
}

/** Organisms of a smear gather in patches: acceptance probability of a field position. */
function clumping(request: SceneRequest, p: Point): number {
  const u = request.originUm.x + p.x / request.px;
  const v = request.originUm.y + p.y / request.px;
  return 0.15 + 0.85 * Math.min(1, Math.max(0, (fractalNoise(u / 35, v / 35, request.field.seed + 7, 2) - 0.3) / 0.4));
}

interface Placement {
  organism: SpecimenOrganism;
  at: Point;
  anchor: boolean;
}

/**
 * The organisms a tile is sure to show near its centre: its morphotype, or for polymicrobial two
 * (sometimes three) of different Gram groups, spread around the centre.
 */
function tileAnchors(request: SceneRequest): Placement[] {
  const { rng, specimen, width, height } = request;
  const shuffled = rng.shuffle([...specimen.organisms]);
  const group = (o: SpecimenOrganism): string => classInfo(o.morphotype).gramGroup;
  if (shuffled.length === 3 && group(shuffled[0]) === group(shuffled[1])) [shuffled[1], shuffled[2]] = [shuffled[2], shuffled[1]];
  const anchored = shuffled.slice(0, shuffled.length === 3 && rng.chance(0.4) ? 3 : 2);
  const phase = rng.uniform(0, Math.PI * 2);
  return anchored.map((organism, k) => {
    const offset = anchored.length > 1 ? 0.22 : rng.uniform(0, 0.12);
    const angle = phase + (k / anchored.length) * Math.PI * 2;
    return { organism, at: { x: width * (0.5 + offset * Math.cos(angle)), y: height * (0.5 + offset * Math.sin(angle)) }, anchor: true };
  });
}

/** Organism groups scattered at the specimen's density (in fields, gathered into patches). */
function scatteredOrganisms(request: SceneRequest): Placement[] {
  const { rng, specimen, field, mode } = request;
  const { area, point } = placer(request);
  const tileJitter = mode === 'tile' ? Math.exp(0.5 * rng.normal()) : 1;
  const expected = (area(MARGIN_UM.organism) / 100) * specimen.organismDensity * field.densityFactor * tileJitter;
  // Clumping rejects about half of the field candidates; draw twice as many to keep the density.
  const candidates = poisson(rng, mode === 'field' ? expected * 2 : expected);
  const placements: Placement[] = [];
  for (let i = 0; i < candidates; i++) {
    const at = point(MARGIN_UM.organism);
    if (at && (mode === 'tile' || rng.chance(clumping(request, at)))) {
      placements.push({ organism: weightedPick(rng, specimen.organisms, (o) => o.weight), at, anchor: false });
    }
  }
  return placements;
}

/** Extra groups so that a field shows at least MIN_FIELD_GROUPS of each of its organisms. */
function fieldMinimum(request: SceneRequest, placed: readonly Placement[]): Placement[] {
  const { point } = placer(request);
  const extra: Placement[] = [];
  for (const organism of request.specimen.organisms) {
    let count = placed.filter((p) => p.organism === organism).length;
    for (let tries = 0; count < MIN_FIELD_GROUPS && tries < 1000; tries++) {
      const at = point(-MARGIN_UM.organism);
      if (at) {
        extra.push({ organism, at, anchor: false });
        count++;
      }
    }
  }
  return extra;
}

function placeOrganisms(request: SceneRequest, ctx: BuildContext): SceneObject[] {
  if (request.specimen.organisms.length === 0) return [];
  const placements = request.mode === 'tile' ? [...tileAnchors(request), ...scatteredOrganisms(request)] : scatteredOrganisms(request);
  if (request.mode === 'field') placements.push(...fieldMinimum(request, placements));
  return placements.map(({ organism, at, anchor }) => buildOrganism(ctx, organism.morphotype, organism.traits, at, anchor));
}

function placeHostAndDebris(request: SceneRequest, ctx: BuildContext): SceneObject[] {
  const { rng, specimen, width, height, mode } = request;
  const { area, point } = placer(request);
  const objects: SceneObject[] = [];
  const scatter = (marginUm: number, perUm2: number, build: (c: BuildContext, at: Point) => SceneObject): void => {
    for (let i = poisson(rng, area(marginUm) * perUm2); i > 0; i--) {
      const p = point(marginUm);
      if (p) objects.push(build(ctx, p));
    }
  };
  // A tile without organisms usually shows a host cell or some debris near its centre.
  const roll = mode === 'tile' && specimen.organisms.length === 0 ? rng.next() : 1;
  const nearCentre = (): Point => ({ x: width * rng.uniform(0.3, 0.7), y: height * rng.uniform(0.3, 0.7) });
  // Painting order: large pale cells first, so smaller things lie on top of them.
  scatter(MARGIN_UM.squamous, specimen.hostCells.squamous / 1000, squamousCell);
  scatter(MARGIN_UM.redCell, specimen.hostCells.redCell / 1000, redCell);
  scatter(MARGIN_UM.neutrophil, specimen.hostCells.neutrophil / 1000, neutrophil);
  if (roll < 0.5) objects.push((specimen.hostCells.redCell > specimen.hostCells.neutrophil ? redCell : neutrophil)(ctx, nearCentre()));
  scatter(MARGIN_UM.debris, specimen.debrisDensity / 100, debris);
  if (roll >= 0.5 && roll < 0.8) objects.push(debris(ctx, nearCentre()));
  return objects;
}

/** Builds the objects of a tile or field, in painting order: host cells, debris, organisms. */
export function composeScene(request: SceneRequest): SceneObject[] {
  const ctx: BuildContext = { rng: request.rng, px: request.px, specimen: request.specimen };
  const hostAndDebris = placeHostAndDebris(request, ctx);
  return [...hostAndDebris, ...placeOrganisms(request, ctx)];
}

/** Paints objects over the background (capsule halos first) and returns the visible ones' annotations. */
export function paintScene(canvas: Canvas, objects: readonly SceneObject[]): ObjectAnnotation[] {
  for (const object of objects) if (object.halo) clearInside(canvas, object.halo, 0.8);
  const annotations: ObjectAnnotation[] = [];
  for (const object of objects) {
    const maskValue = maskValueOf(object.label);
    let box: PixelBox | null = null;
    for (const cell of object.cells) box = growBox(box, paintCell(canvas, cell, maskValue));
    if (!box) continue;
    annotations.push({
      kind: object.kind,
      label: object.label,
      maskValue,
      name: object.name,
      variant: object.variant,
      gram: object.gram,
      cells: object.cells.length,
      miscoloured: object.miscoloured,
      bbox: [box[0], box[1], box[2] - box[0], box[3] - box[1]],
    });
  }
  return annotations;
}
