import { createRng, type Rng } from '../util/index.ts';
import { classInfo, type ClassId } from './classes.ts';
import { develop, type Eyepiece } from './optics.ts';
import { DEFAULT_PX_PER_UM, checkPxPerUm, checkSize, resolveDifficulty, type DifficultyOption } from './options.ts';
import { paintBackground } from './background.ts';
import { createCanvas } from './raster.ts';
import { composeScene, paintScene, type ObjectAnnotation } from './scene.ts';
import { sampleFieldConditionsWith, sampleSpecimenWith, type FieldConditions, type Specimen } from './specimen.ts';

export interface RenderOptions {
  /** Field-level class. Required unless a specimen is given (then it must match). */
  label?: ClassId;
  seed: number;
  /** Pixels per micrometre (default 9: a 1 µm coccus is ~9 px). */
  pxPerUm?: number;
  difficulty?: DifficultyOption;
  /** The patient's slide, to share between fields and tiles; drawn from the seed when absent. */
  specimen?: Specimen;
  /** The field's photographic conditions, to share between tiles of a field; drawn from the seed when absent. */
  field?: FieldConditions;
}

export interface TileOptions extends RenderOptions {
  /** Side in pixels (default 96). */
  size?: number;
}

export interface FieldOptions extends RenderOptions {
  /** Default 1600. */
  width?: number;
  /** Default 1200. */
  height?: number;
}

export interface SynthImage {
  /** RGB, row-major, interleaved (HWC). */
  rgb: Uint8Array;
  width: number;
  height: number;
  /** Per-pixel labels (see MASK_LABELS): 0 background, 1..7 organism morphotypes, 8 host cell, 9 debris. */
  mask: Uint8Array;
  label: ClassId;
  objects: ObjectAnnotation[];
  specimen: Specimen;
  field: FieldConditions;
  /** The scale the image was rendered at: the requested pxPerUm times the field's scale jitter (field.scale). */
  pxPerUm: number;
}

export interface SynthField extends SynthImage {
  eyepiece: Eyepiece;
}

export const DEFAULT_TILE_SIZE = 96;
export const DEFAULT_FIELD_WIDTH = 1600;
export const DEFAULT_FIELD_HEIGHT = 1200;
export const MAX_TILE_SIZE = 1024;
export const MAX_FIELD_SIDE = 8192;

interface Resolved {
  label: ClassId;
  px: number;
  rng: Rng;
  specimen: Specimen;
  field: FieldConditions;
}

/** Validates the shared options and draws the specimen and field conditions (independent rng streams). */
function resolve(what: string, options: RenderOptions): Resolved {
  if (!Number.isSafeInteger(options.seed)) throw new Error(`${what}: seed must be an integer (got ${options.seed})`);
  const label = options.label ?? options.specimen?.label;
  if (label === undefined) throw new Error(`${what}: a label (or a specimen) is required`);
  classInfo(label);
  if (options.specimen && options.specimen.label !== label) {
    throw new Error(`${what}: label "${label}" does not match the specimen's label "${options.specimen.label}"`);
  }
  const declared = options.pxPerUm ?? DEFAULT_PX_PER_UM;
  checkPxPerUm(declared);
  const knobs = resolveDifficulty(options.difficulty);
  const rng = createRng(options.seed);
  const specimenRng = rng.fork();
  const fieldRng = rng.fork();
  const field = options.field ?? sampleFieldConditionsWith(fieldRng, knobs);
  // Scale jitter: rendered at the field's true scale, declared at the requested one.
  const px = declared * (field.scale ?? 1);
  checkPxPerUm(px);
  return {
    label,
    px,
    rng,
    specimen: options.specimen ?? sampleSpecimenWith(specimenRng, label, knobs),
    field,
  };
}

function render(resolved: Resolved, width: number, height: number, eyepiece: Eyepiece | null, mode: 'tile' | 'field'): SynthImage {
  const { label, px, rng, specimen, field } = resolved;
  const sceneRng = rng.fork();
  const opticsRng = rng.fork();
  const originUm = { x: rng.uniform(0, 20000), y: rng.uniform(0, 20000) };
  const canvas = createCanvas(width, height);
  canvas.visible = eyepiece;
  paintBackground(canvas, specimen, originUm, px);
  const objects = paintScene(canvas, composeScene({ rng: sceneRng, specimen, field, width, height, px, originUm, eyepiece, mode }));
  const rgb = develop(canvas, { px, originUm, specimen, field, eyepiece, rng: opticsRng });
  return { rgb, width, height, mask: canvas.mask, label, objects, specimen, field, pxPerUm: px };
}

/**
 * Renders one square tile at the physical scale, directly (no full field): the organisms of its
 * label near the centre (two or more morphotypes for polymicrobial, none for no_bacteria) over the
 * specimen's background, host cells and debris.
 */
export function generateTile(options: TileOptions): SynthImage {
  const size = options.size ?? DEFAULT_TILE_SIZE;
  checkSize('generateTile: size', size, MAX_TILE_SIZE);
  return render(resolve('generateTile', options), size, size, null, 'tile');
}

/**
 * Renders a full eyepiece photo: circular field stop (dark outside), a few to hundreds of organism
 * groups. A field with fieldStopRatio (difficulty.fullFrameRate) is photographed cropped inside the
 * field stop: the circle lies outside the frame, which is lit to its corners (vignetted).
 */
export function generateField(options: FieldOptions): SynthField {
  const width = options.width ?? DEFAULT_FIELD_WIDTH;
  const height = options.height ?? DEFAULT_FIELD_HEIGHT;
  checkSize('generateField: width', width, MAX_FIELD_SIDE);
  checkSize('generateField: height', height, MAX_FIELD_SIDE);
  const resolved = resolve('generateField', options);
  const { rng } = resolved;
  const short = Math.min(width, height);
  const eyepiece: Eyepiece = {
    cx: width / 2 + rng.normal() * 0.025 * width,
    cy: height / 2 + rng.normal() * 0.025 * height,
    radius: short * rng.uniform(0.44, 0.54),
  };
  const { fieldStopRatio } = resolved.field;
  if (fieldStopRatio !== undefined) {
    const corner = Math.max(...[0, width].flatMap((x) => [0, height].map((y) => Math.hypot(x - eyepiece.cx, y - eyepiece.cy))));
    eyepiece.radius = Math.max((Math.hypot(width, height) / 2) * fieldStopRatio, corner * 1.05);
  }
  return { ...render(resolved, width, height, eyepiece, 'field'), eyepiece };
}
