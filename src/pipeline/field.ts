import { join } from 'node:path';
import sharp from 'sharp';
import { OnnxClassifier } from '../engine/onnx/index.ts';
import { applyColormap, camFromFeatures, gapDenseKernel, hasGapDenseHead, upsampleBilinear, type FeatureMaps, type Heatmap } from '../explain/index.ts';
import {
  combineFields,
  DEFAULT_FIELD_DECISION,
  decideField,
  processPhoto,
  type FieldDecision,
  type SpecimenDecision,
  type FieldOfView,
  type PhotoTile,
  type QualityMeasures,
  type QualityReason,
} from '../fields/index.ts';
import { aggregateProbabilities, FEATURE_LAYER_NAME, loadBundleModel, modelVersionOf, readBundleMetadata, treeLevels, type BundleMetadata, type LabelTreeNode } from '../models/index.ts';
import { modelInput } from '../preprocess/index.ts';
import { calibrate, toPrediction, type ClassProbability } from './classifier.ts';

/** The class of an organism-free tile and the field label for two or more morphotypes, as the synthetic Gram classes name them. */
export const DEFAULT_BACKGROUND_CLASS = 'no_bacteria';
export const DEFAULT_MIXED_CLASS = 'polymicrobial';
/** Longest side of the tile map and of the field heatmap layer. */
export const TILE_MAP_MAX_SIDE = 1600;
export const FIELD_HEATMAP_MAX_SIDE = 768;
/** Colour-blind-friendly colours (Okabe–Ito, then Tol's muted) for the morphotypes, in class order; the background class is grey. */
export const TILE_PALETTE = ['#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7', '#882255', '#44AA99', '#117733', '#332288', '#AA4499'];
export const BACKGROUND_TILE_COLOUR = '#9E9E9E';
/** Opacity of organism-free tiles on the tile map, relative to morphotype tiles of the same probability. */
export const BACKGROUND_TILE_ALPHA = 0.35;

/** The bundle cannot read whole fields (no ONNX model, no background class, or not a square colour input). */
export class FieldUnsupportedError extends Error {
  override readonly name = 'FieldUnsupportedError';
}

export interface FieldPredictorOptions {
  /** Intra-op threads of the ONNX session; default: all cores. */
  threads?: number;
  /** Tiles per ONNX run (default 64). */
  batchSize?: number;
  /** Default DEFAULT_BACKGROUND_CLASS; must be one of the bundle's classes. */
  backgroundClass?: string;
  /** Default DEFAULT_MIXED_CLASS when the bundle has it. */
  mixedClass?: string;
  /** The GAP + dense head's kernel when the caller already has it; otherwise read from the bundle on the first `explain`. */
  denseKernel?: Float32Array | null;
}

export interface FieldPredictOptions {
  /** The photo's scale (pixels per micrometre): tiles at the model's scale and the magnification check. */
  pxPerUm?: number;
  /** Predict even when the quality gate fails. */
  force?: boolean;
  /**
   * Also the Grad-CAM of the field's label within every inferred tile. The first call reads the
   * dense kernel through TF.js (a backend must be registered) unless `denseKernel` was given at load.
   */
  explain?: boolean;
  signal?: AbortSignal;
}

export interface FieldTile {
  /** Top-left corner and side in photo pixels. */
  x: number;
  y: number;
  size: number;
  /** Top class and its calibrated probability; a background tile is the background class with probability 1, without inference. */
  label: string;
  probability: number;
  /** Calibrated probability of every class, in the model's class order (one-hot for a background tile). */
  probabilities: number[];
  /** No stained objects on it (pixel test): not sent to the model. */
  background: boolean;
  insideFraction: number;
}

export interface LegendEntry {
  label: string;
  /** #rrggbb */
  colour: string;
  /** Tiles with this top class on the map. */
  tiles: number;
}

export interface FieldLayer {
  png: Buffer;
  width: number;
  height: number;
  /** Layer pixels per photo pixel. */
  scale: number;
}

export interface FieldTimings {
  decodeMs: number;
  qualityMs: number;
  tilingMs: number;
  inferenceMs: number;
  decisionMs: number;
  tileMapMs: number;
  explainMs: number;
  totalMs: number;
}

export interface FieldPrediction {
  /** Photo size after EXIF orientation. */
  width: number;
  height: number;
  /** The quality gate's verdict, and the field of view it found (photo pixels). */
  quality: { ok: boolean; reasons: QualityReason[]; measures: QualityMeasures; fov: FieldOfView | null };
  /** Null when the quality gate failed without `force` (no inference ran) or no tile was found. */
  decision: FieldDecision | null;
  /** Predicted although the quality gate failed. */
  forced: boolean;
  /** The field's label with its field-level probability. */
  top: ClassProbability | null;
  /** Field-level probabilities, most probable first. */
  classes: ClassProbability[];
  /** The most probable group at each level of the label tree above the classes, coarsest first. */
  treeTop: ClassProbability[];
  /** The single-image referral rule on the field probabilities, for a field of one morphotype or none. */
  uncertain: boolean;
  labelTree?: LabelTreeNode[];
  tiles: FieldTile[];
  /** Transparent PNG the photo's aspect: each inferred tile in its class colour, alpha = its probability. */
  tileMap: FieldLayer | null;
  legend: LegendEntry[];
  /** Grad-CAM of the field's label inside the inferred tiles (turbo colours), with `explain`. */
  heatmap: FieldLayer | null;
  /** Photo pixels per micrometre (given, or estimated from object widths), the model's scale, and photo pixels per tile side. */
  scale: { photoPxPerUm: number | null; photoPxPerUmEstimated: boolean; modelPxPerUm: number | null; tilePx: number | null };
  warnings: string[];
  modelVersion: string;
  timings: FieldTimings;
}

/** Colour per class: the palette in class order for morphotypes, grey for the background class. */
export function classColours(classes: readonly string[], backgroundClass: string): Map<string, string> {
  const colours = new Map<string, string>();
  let next = 0;
  for (const name of classes) colours.set(name, name === backgroundClass ? BACKGROUND_TILE_COLOUR : TILE_PALETTE[next++ % TILE_PALETTE.length]);
  return colours;
}

function hexToRgb(hex: string): [number, number, number] {
  const value = Number.parseInt(hex.slice(1), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

export interface TileSquare {
  x: number;
  y: number;
  size: number;
}

/**
 * Which tile each layer pixel belongs to (-1: none): among the tiles covering it, the one whose
 * centre is nearest, so overlapping tiles of a grid split their overlap down the middle and the map
 * is a mosaic of squares. `scale` is layer pixels per photo pixel.
 */
export function tileOwners(tiles: readonly TileSquare[], width: number, height: number, scale: number): Int32Array {
  const owners = new Int32Array(width * height).fill(-1);
  const distance = new Float32Array(width * height).fill(Infinity);
  tiles.forEach((tile, index) => {
    const cx = (tile.x + tile.size / 2) * scale;
    const cy = (tile.y + tile.size / 2) * scale;
    const half = (tile.size / 2) * scale;
    const x0 = Math.max(0, Math.floor(cx - half));
    const x1 = Math.min(width, Math.ceil(cx + half));
    const y0 = Math.max(0, Math.floor(cy - half));
    const y1 = Math.min(height, Math.ceil(cy + half));
    for (let y = y0; y < y1; y++) {
      const dy = Math.abs(y + 0.5 - cy);
      if (dy > half) continue;
      for (let x = x0; x < x1; x++) {
        const dx = Math.abs(x + 0.5 - cx);
        const d = dx * dx + dy * dy;
        const p = y * width + x;
        if (dx <= half && d < distance[p]) {
          distance[p] = d;
          owners[p] = index;
        }
      }
    }
  });
  return owners;
}

function layerSize(width: number, height: number, maxSide: number): { width: number; height: number; scale: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)), scale };
}

async function encodeRgba(rgba: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(rgba, { raw: { width, height, channels: 4 } }).png({ compressionLevel: 4 }).toBuffer();
}

/**
 * The tile map: each inferred tile's square in its class colour with alpha = probability (organism-free
 * tiles grey at BACKGROUND_TILE_ALPHA of that); tiles not sent to the model and the rest transparent.
 */
export async function renderTileMap(tiles: readonly FieldTile[], photoWidth: number, photoHeight: number, colours: ReadonlyMap<string, string>, maxSide = TILE_MAP_MAX_SIDE): Promise<FieldLayer> {
  const { width, height, scale } = layerSize(photoWidth, photoHeight, maxSide);
  const owners = tileOwners(tiles, width, height, scale);
  const paint = tiles.map((tile) => {
    if (tile.background) return null;
    const colour = colours.get(tile.label) ?? BACKGROUND_TILE_COLOUR;
    // Organism-free tiles stay faint so that the morphotypes stand out.
    const alpha = 255 * tile.probability * (colour === BACKGROUND_TILE_COLOUR ? BACKGROUND_TILE_ALPHA : 1);
    return [...hexToRgb(colour), Math.round(alpha)];
  });
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < owners.length; p++) {
    const colour = owners[p] >= 0 ? paint[owners[p]] : null;
    if (!colour) continue;
    rgba[p * 4] = colour[0];
    rgba[p * 4 + 1] = colour[1];
    rgba[p * 4 + 2] = colour[2];
    rgba[p * 4 + 3] = colour[3];
  }
  return { png: await encodeRgba(rgba, width, height), width, height, scale };
}

/**
 * One heatmap layer for the field from the tiles' CAMs (null for tiles not inferred): each tile's
 * map upsampled over its square, all divided by the largest value of the field (so tiles compare),
 * turbo colours, transparent outside the inferred tiles.
 */
export async function renderFieldHeatmap(tiles: readonly FieldTile[], cams: readonly (Heatmap | null)[], photoWidth: number, photoHeight: number, maxSide = FIELD_HEATMAP_MAX_SIDE): Promise<FieldLayer> {
  const { width, height, scale } = layerSize(photoWidth, photoHeight, maxSide);
  const owners = tileOwners(tiles, width, height, scale);
  let max = 0;
  for (const cam of cams) if (cam) for (const v of cam.map) max = Math.max(max, v);
  const upsampled = cams.map((cam, i) => {
    if (!cam) return null;
    const side = Math.max(1, Math.round(tiles[i].size * scale));
    return { side, map: upsampleBilinear(cam, side, side).map };
  });
  const values = new Float32Array(width * height);
  const inside = new Uint8Array(width * height);
  for (let p = 0; p < owners.length; p++) {
    const owner = owners[p];
    const cam = owner >= 0 ? upsampled[owner] : null;
    if (!cam) continue;
    const tile = tiles[owner];
    const tx = Math.min(cam.side - 1, Math.max(0, Math.floor((p % width) - tile.x * scale)));
    const ty = Math.min(cam.side - 1, Math.max(0, Math.floor(Math.floor(p / width) - tile.y * scale)));
    values[p] = max > 0 ? cam.map[ty * cam.side + tx] / max : 0;
    inside[p] = 1;
  }
  const rgb = applyColormap(values, 'turbo');
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < inside.length; p++) {
    if (!inside[p]) continue;
    rgba.set(rgb.subarray(p * 3, p * 3 + 3), p * 4);
    rgba[p * 4 + 3] = 255;
  }
  return { png: await encodeRgba(rgba, width, height), width, height, scale };
}

/** Legend of the classes on the map, most tiles first. */
export function tileLegend(tiles: readonly FieldTile[], colours: ReadonlyMap<string, string>): LegendEntry[] {
  const counts = new Map<string, number>();
  for (const tile of tiles) if (!tile.background) counts.set(tile.label, (counts.get(tile.label) ?? 0) + 1);
  return [...counts]
    .map(([label, tiles]) => ({ label, colour: colours.get(label) ?? BACKGROUND_TILE_COLOUR, tiles }))
    .sort((a, b) => b.tiles - a.tiles || a.label.localeCompare(b.label));
}

/** The most probable group at each tree level above the classes, coarsest first. */
export function treeTops(probabilities: readonly number[], classes: readonly string[], tree: readonly LabelTreeNode[] | undefined): ClassProbability[] {
  if (!tree) return [];
  return treeLevels(tree, classes).map((level) => {
    const grouped = aggregateProbabilities(Float32Array.from(probabilities), level);
    const best = grouped.indexOf(Math.max(...grouped));
    return { label: level.names[best], probability: grouped[best] };
  });
}

interface TileInference {
  /** Calibrated probabilities, one row per inferred tile. */
  probabilities: Float32Array;
  features: FeatureMaps[] | null;
}

/**
 * A whole microscope photo through a tile model: the quality gate first (no inference when it
 * fails, unless forced), tiles of the field of view at the model's physical scale, tiles with
 * stained objects through onnxruntime in batches, the field's decision (decideField), a tile map
 * overlay and, on request, a Grad-CAM layer of the field's label.
 */
export class FieldPredictor {
  private denseKernel: Promise<Float32Array | null> | null;

  private constructor(
    readonly bundleDir: string,
    readonly metadata: BundleMetadata,
    private readonly onnx: OnnxClassifier,
    private readonly batchSize: number,
    readonly backgroundClass: string,
    readonly mixedClass: string | undefined,
    denseKernel: Float32Array | null | undefined,
  ) {
    this.denseKernel = denseKernel === undefined ? null : Promise.resolve(denseKernel);
  }

  static async load(bundleDir: string, options: FieldPredictorOptions = {}): Promise<FieldPredictor> {
    const metadata = await readBundleMetadata(bundleDir);
    const { input, classes } = metadata;
    if (!metadata.onnx) throw new FieldUnsupportedError(`bundle ${bundleDir} has no ONNX model; run 'gramlens export' first`);
    if (input.channels !== 3 || input.height !== input.width) {
      throw new FieldUnsupportedError(`whole-field prediction needs a model with a square colour input; this one takes ${input.height}×${input.width}×${input.channels}`);
    }
    const backgroundClass = options.backgroundClass ?? DEFAULT_BACKGROUND_CLASS;
    if (!classes.includes(backgroundClass)) {
      throw new FieldUnsupportedError(`the model has no class "${backgroundClass}" for organism-free tiles (classes: ${classes.join(', ')}); name it with backgroundClass`);
    }
    const mixedClass = options.mixedClass ?? (classes.includes(DEFAULT_MIXED_CLASS) ? DEFAULT_MIXED_CLASS : undefined);
    if (mixedClass !== undefined && !classes.includes(mixedClass)) throw new FieldUnsupportedError(`the model has no class "${mixedClass}" (classes: ${classes.join(', ')})`);
    const batchSize = options.batchSize ?? 64;
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
    const onnx = await OnnxClassifier.load(join(bundleDir, metadata.onnx.file), { threads: options.threads });
    return new FieldPredictor(bundleDir, metadata, onnx, batchSize, backgroundClass, mixedClass, options.denseKernel);
  }

  get modelVersion(): string {
    return modelVersionOf(this.metadata);
  }

  async predict(photo: Buffer, options: FieldPredictOptions = {}): Promise<FieldPrediction> {
    const { input, classes, labelTree, referBelow } = this.metadata;
    const { signal, force = false, explain = false } = options;
    if (options.pxPerUm !== undefined && !(Number.isFinite(options.pxPerUm) && options.pxPerUm > 0)) {
      throw new Error(`the photo's pxPerUm must be a positive number, got ${options.pxPerUm}`);
    }
    signal?.throwIfAborted();
    const warnings: string[] = [];
    if (input.pxPerUm === undefined) warnings.push("the model does not record its physical scale (input.pxPerUm): tiles are cut at the photo's own scale");
    const processed = await processPhoto(photo, { tileSizePx: input.width, targetPxPerUm: input.pxPerUm, sourcePxPerUm: options.pxPerUm, estimateSourceScale: true });
    const { quality, tiles } = processed;
    if (input.pxPerUm !== undefined && options.pxPerUm === undefined) {
      warnings.push(
        processed.sourcePxPerUm
          ? `the photo's scale is unknown (no pxPerUm): estimated at ${round(processed.sourcePxPerUm.value)} px/µm from the widths of its stained objects; give the device's calibration for a reliable scale and a magnification check`
          : `the photo's scale is unknown (no pxPerUm) and too few stained objects to estimate it: tiles are cut at its own pixels, right only if it is at the model's ${round(input.pxPerUm)} px/µm; no magnification check`,
      );
    }
    const scale = {
      photoPxPerUm: processed.sourcePxPerUm?.value ?? null,
      photoPxPerUmEstimated: processed.sourcePxPerUm?.estimated ?? false,
      modelPxPerUm: input.pxPerUm ?? null,
      tilePx: tiles[0]?.sourceSize ?? null,
    };
    const timings: FieldTimings = {
      decodeMs: processed.timings.decodeMs,
      qualityMs: processed.timings.qualityMs,
      tilingMs: processed.timings.tilingMs,
      inferenceMs: 0,
      decisionMs: 0,
      tileMapMs: 0,
      explainMs: 0,
      totalMs: processed.timings.totalMs,
    };
    const base = {
      width: processed.width,
      height: processed.height,
      quality: { ok: quality.ok, reasons: quality.reasons, measures: quality.measures, fov: quality.fov },
      labelTree,
      scale,
      warnings,
      modelVersion: this.modelVersion,
      timings,
    };
    const none = { decision: null, forced: false, top: null, classes: [], treeTop: [], uncertain: false, tileMap: null, legend: [], heatmap: null };
    if (!quality.ok && !force) return { ...base, ...none, tiles: tiles.map((tile) => this.backgroundTile(tile)) };
    if (tiles.length === 0) {
      warnings.push('no tile fits in the field of view: nothing to predict');
      return { ...base, ...none, forced: !quality.ok, tiles: [] };
    }
    const started = performance.now();

    const inferredIndices = tiles.flatMap((tile, i) => (tile.background ? [] : [i]));
    const { probabilities, features } = await this.infer(inferredIndices.map((i) => tiles[i]), explain, signal);
    const inferred = performance.now();

    const k = classes.length;
    const backgroundIndex = classes.indexOf(this.backgroundClass);
    const backgroundRow = classes.map((_, c) => (c === backgroundIndex ? 1 : 0));
    const rows: number[][] = tiles.map(() => backgroundRow);
    inferredIndices.forEach((tileIndex, row) => (rows[tileIndex] = Array.from(probabilities.subarray(row * k, (row + 1) * k))));
    const decision = decideField(rows, {
      ...(this.metadata.fieldDecision ?? DEFAULT_FIELD_DECISION),
      classes,
      backgroundClass: this.backgroundClass,
      mixedClass: this.mixedClass,
      weights: tiles.map((tile) => tile.insideFraction),
    });
    const ranked = toPrediction('field', Float32Array.from(decision.probabilities), 0, classes, referBelow ?? 0);
    const fieldTiles = tiles.map((tile, i): FieldTile => {
      const best = rows[i].indexOf(Math.max(...rows[i]));
      return { ...placement(tile), label: classes[best], probability: rows[i][best], probabilities: rows[i], background: tile.background };
    });
    const decided = performance.now();

    const colours = classColours(classes, this.backgroundClass);
    const tileMap = await renderTileMap(fieldTiles, processed.width, processed.height, colours);
    const mapped = performance.now();

    let heatmap: FieldLayer | null = null;
    if (explain) heatmap = await this.explainTiles(fieldTiles, inferredIndices, features, classes.indexOf(decision.label), processed.width, processed.height, warnings);
    const end = performance.now();

    Object.assign(timings, {
      inferenceMs: inferred - started,
      decisionMs: decided - inferred,
      tileMapMs: mapped - decided,
      explainMs: end - mapped,
      totalMs: processed.timings.totalMs + (end - started),
    });
    return {
      ...base,
      decision,
      forced: !quality.ok,
      top: { label: decision.label, probability: decision.probabilities[classes.indexOf(decision.label)] },
      classes: ranked.classes,
      treeTop: treeTops(decision.probabilities, classes, labelTree),
      uncertain: !decision.multiple && ranked.uncertain,
      tiles: fieldTiles,
      tileMap,
      legend: tileLegend(fieldTiles, colours),
      heatmap,
    };
  }

  private backgroundTile(tile: PhotoTile): FieldTile {
    const probabilities = this.metadata.classes.map((name) => (name === this.backgroundClass ? 1 : 0));
    return { ...placement(tile), label: this.backgroundClass, probability: 1, probabilities, background: tile.background };
  }

  /** Calibrated probabilities of the tiles in batches, with their feature maps when asked for. */
  private async infer(tiles: readonly PhotoTile[], withFeatures: boolean, signal: AbortSignal | undefined): Promise<TileInference> {
    const { input, classes, temperature } = this.metadata;
    const k = classes.length;
    const size = input.height * input.width * input.channels;
    const probabilities = new Float32Array(tiles.length * k);
    let features: FeatureMaps[] | null = withFeatures ? [] : null;
    for (let start = 0; start < tiles.length; start += this.batchSize) {
      signal?.throwIfAborted();
      const batch = tiles.slice(start, start + this.batchSize);
      const data = new Float32Array(batch.length * size);
      batch.forEach((tile, i) => data.set(modelInput({ data: tile.rgb, height: tile.size, width: tile.size, channels: 3 }, input, start + i), i * size));
      const result = await this.onnx.run(data, batch.length);
      probabilities.set(result.probabilities, start * k);
      const maps = result.outputs[FEATURE_LAYER_NAME];
      if (features && !maps) features = null;
      if (features && maps) {
        const [, height, width, channels] = maps.shape;
        const per = height * width * channels;
        for (let i = 0; i < batch.length; i++) features.push({ data: maps.data.subarray(i * per, (i + 1) * per), height, width, channels });
      }
    }
    return { probabilities: calibrate(probabilities, k, temperature), features };
  }

  private async explainTiles(
    tiles: readonly FieldTile[],
    inferredIndices: readonly number[],
    features: FeatureMaps[] | null,
    target: number,
    width: number,
    height: number,
    warnings: string[],
  ): Promise<FieldLayer | null> {
    const kernel = await this.kernel();
    if (!kernel || !features) {
      warnings.push(`no heatmap: the model needs a '${FEATURE_LAYER_NAME}' output and a global-average-pooling + dense head for the closed-form Grad-CAM`);
      return null;
    }
    const cams: (Heatmap | null)[] = tiles.map(() => null);
    inferredIndices.forEach((tileIndex, row) => (cams[tileIndex] = camFromFeatures(features[row], kernel, target)));
    return renderFieldHeatmap(tiles, cams, width, height);
  }

  /** The dense kernel of a GAP + dense head, read from the bundle's TF.js weights once (null for other heads). */
  private kernel(): Promise<Float32Array | null> {
    this.denseKernel ??= loadBundleModel(this.bundleDir).then(({ model }) => {
      try {
        return hasGapDenseHead(model) ? gapDenseKernel(model) : null;
      } finally {
        model.dispose();
      }
    });
    return this.denseKernel;
  }

  /** Several fields of one specimen combined (combineFields); null when none of them was predicted. */
  combineSpecimen(fields: readonly Pick<FieldPrediction, 'decision'>[], minFields = 1): SpecimenDecision | null {
    const decisions = fields.flatMap((field) => (field.decision ? [field.decision] : []));
    return decisions.length === 0 ? null : combineFields(decisions, { backgroundClass: this.backgroundClass, mixedClass: this.mixedClass, minFields });
  }

  async dispose(): Promise<void> {
    await this.onnx.dispose();
  }
}

function placement(tile: PhotoTile): Pick<FieldTile, 'x' | 'y' | 'size' | 'insideFraction'> {
  return { x: tile.x, y: tile.y, size: tile.sourceSize, insideFraction: tile.insideFraction };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** What the audit trail keeps of a whole-field prediction beside its classes. */
export interface FieldSummary {
  forced: boolean;
  quality: { ok: boolean; reasons: string[] };
  /** The field's label (also the prediction's top class). */
  label: string;
  morphotypes: { label: string; tileCount: number }[];
  multiple: boolean;
  tiles: { total: number; inferred: number };
  legend: LegendEntry[];
  photoPxPerUm: number | null;
  warnings: string[];
}

/** A whole-field prediction as the HTTP API records and returns it (structurally the server's FieldPredictorResult). */
export interface ServedFieldPrediction {
  quality: { ok: boolean; reasons: string[]; measures: QualityMeasures };
  warnings: string[];
  /** Null when nothing was predicted (quality gate failed without force, or no tile). */
  prediction: {
    classes: { name: string; probability: number }[];
    top: { name: string; probability: number };
    uncertain: boolean;
    heatmapPng: Buffer | null;
    tileMapPng: Buffer | null;
    modelVersion: string;
    tree?: LabelTreeNode[];
    field: FieldSummary;
  } | null;
}

export function toServedField(field: FieldPrediction): ServedFieldPrediction {
  const { quality, decision, top, warnings } = field;
  const served = { quality: { ok: quality.ok, reasons: quality.reasons, measures: quality.measures }, warnings };
  if (!decision || !top) return { ...served, prediction: null };
  return {
    ...served,
    prediction: {
      classes: field.classes.map(({ label, probability }) => ({ name: label, probability })),
      top: { name: top.label, probability: top.probability },
      uncertain: field.uncertain,
      heatmapPng: field.heatmap?.png ?? null,
      tileMapPng: field.tileMap?.png ?? null,
      modelVersion: field.modelVersion,
      tree: field.labelTree,
      field: {
        forced: field.forced,
        quality: { ok: quality.ok, reasons: quality.reasons },
        label: decision.label,
        morphotypes: decision.morphotypes,
        multiple: decision.multiple,
        tiles: { total: field.tiles.length, inferred: field.tiles.filter((tile) => !tile.background).length },
        legend: field.legend,
        photoPxPerUm: field.scale.photoPxPerUm,
        warnings,
      },
    },
  };
}
