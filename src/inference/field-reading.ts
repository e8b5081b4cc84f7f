import type { ClassProbability, FieldDecisionRule, LabelTreeNode, LegendEntry, Refusal } from '../contract/index.ts';
import { camFromFeatures, type FeatureMaps, type Heatmap } from '../explain/portable.ts';
import {
  combineFields,
  DEFAULT_FIELD_DECISION,
  ENOUGH_OBJECTS,
  decideField,
  fieldUncertain,
  groupsFromTree,
  processPixels,
  type FieldDecision,
  type FieldDecisionOptions,
  type FieldOfView,
  type PhotoTile,
  type ProcessedPhoto,
  type QualityMeasures,
  type QualityReason,
  type SpecimenDecision,
} from '../fields/portable.ts';
import { aggregateProbabilities, FEATURE_LAYER_NAME, treeLevels, type BundleMetadata } from '../models/portable.ts';
import { qualityRefusal, type FieldSignature } from '../ood/index.ts';
import { DEFAULT_BACKGROUND_CLASS, DEFAULT_MIXED_CLASS } from './field-classes.ts';
import { classColours, fieldHeatmapLayer, tileMapLayer, tileLegend, type RgbaLayer } from './field-layers.ts';
import { guarded, type ImageGuard } from './guard.ts';
import type { Inference, InferOptions } from './infer.ts';
import { toPrediction } from './prediction.ts';

/** What reading a tile or a field needs of a loaded model: the server's ModelBundle, or the web app's PortableModel. */
export interface ReadingModel {
  readonly metadata: BundleMetadata;
  readonly modelVersion: string;
  readonly guard: ImageGuard;
  infer(images: readonly { data: Float32Array; height: number; width: number; channels: number }[], options?: InferOptions): Promise<Inference>;
  /** The dense kernel of a GAP + dense head (closed-form Grad-CAM), or null. */
  denseKernel(): Promise<Float32Array | null>;
}

/** A decoded photo: 8-bit RGB, upright. */
export interface RgbPhoto {
  rgb: Uint8Array;
  width: number;
  height: number;
}

/** The bundle cannot read whole fields (no ONNX model, no background class, or not a square colour input). */
export class FieldUnsupportedError extends Error {
  override readonly name = 'FieldUnsupportedError';
}

export interface FieldReaderOptions {
  /** Tiles per ONNX run (default 64). */
  batchSize?: number;
  /** Default DEFAULT_BACKGROUND_CLASS; must be one of the bundle's classes. */
  backgroundClass?: string;
  /** Default DEFAULT_MIXED_CLASS when the bundle has it. */
  mixedClass?: string;
}

export interface FieldPredictOptions {
  /** The photo's scale (pixels per micrometre): tiles at the model's scale and the magnification check. */
  pxPerUm?: number;
  /** Predict even when the quality gate fails (else the photo is refused with the gate's reasons). */
  force?: boolean;
  /** Also the Grad-CAM of the field's label within every inferred tile (the first call reads the dense kernel through TF.js, whose backend must be registered). */
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
  /** Sent to the model but unlike its training images: left out of the field's answer and the tile map. */
  unfamiliar: boolean;
  insideFraction: number;
}

export interface FieldTimings {
  decodeMs: number;
  qualityMs: number;
  /** The image checks (blank, noise, colours, ...) inside the field of view. */
  checkMs: number;
  tilingMs: number;
  inferenceMs: number;
  decisionMs: number;
  tileMapMs: number;
  explainMs: number;
  totalMs: number;
}

/** A whole field's answer, with its layers as `Layer` (RGBA pixels in the page, PNG on the server). */
export interface FieldResult<Layer> {
  /** Photo size after EXIF orientation. */
  width: number;
  height: number;
  /** The quality gate's verdict, and the field of view it found (photo pixels). */
  quality: { ok: boolean; reasons: QualityReason[]; measures: QualityMeasures; fov: FieldOfView | null };
  /** Null when the photo was refused (a failed quality gate without `force` included: no inference ran) or no tile was found. */
  decision: FieldDecision | null;
  /** No class: the photo fails the image checks, is mostly or as a whole unfamiliar (whatever `force` says) or fails the quality gate (code 'quality', unless `force`). */
  refusal: Refusal | null;
  /** What the field looks like as a whole (its stained objects, the share of it read as organism-free), when tiles were read; what the field check compares. */
  signature: FieldSignature | null;
  /** Predicted although the quality gate failed. */
  forced: boolean;
  /** The field's label with its field-level probability. */
  top: ClassProbability | null;
  /** Field-level probabilities, most probable first. */
  classes: ClassProbability[];
  /** The most probable group at each level of the label tree above the classes, coarsest first. */
  treeTop: ClassProbability[];
  /**
   * "Uncertain: refer" (fieldUncertain): the decision refers, or, with the bundle's fitted field
   * referral, too much of the field is unfamiliar or its weakest finding is unclear (older bundles:
   * the tiles' referral level on the field-level probability of an answer of one morphotype or none).
   */
  uncertain: boolean;
  labelTree?: LabelTreeNode[];
  tiles: FieldTile[];
  /** Transparent PNG the photo's aspect: each inferred tile in its class colour, alpha = its probability. */
  tileMap: Layer | null;
  legend: LegendEntry[];
  /** Grad-CAM of the field's label inside the inferred tiles (turbo colours), with `explain`. */
  heatmap: Layer | null;
  /** Photo pixels per micrometre (given, or estimated from object widths), the model's scale, and photo pixels per tile side. */
  scale: { photoPxPerUm: number | null; photoPxPerUmEstimated: boolean; modelPxPerUm: number | null; tilePx: number | null };
  warnings: string[];
  modelVersion: string;
  timings: FieldTimings;
}

/** What a prediction says of the photo whether or not the model read it. */
type PhotoReading = Pick<FieldResult<RgbaLayer>, 'width' | 'height' | 'quality' | 'labelTree' | 'scale' | 'warnings' | 'modelVersion' | 'timings'>;

/** The most probable group at each tree level above the classes, coarsest first. */
export function treeTops(probabilities: readonly number[], classes: readonly string[], tree: readonly LabelTreeNode[] | undefined): ClassProbability[] {
  if (!tree) return [];
  return treeLevels(tree, classes).map((level) => {
    const grouped = aggregateProbabilities(Float32Array.from(probabilities), level);
    const best = grouped.indexOf(Math.max(...grouped));
    return { label: level.names[best], probability: grouped[best] };
  });
}

/** A field read in the page: its layers as RGBA pixels. */
export type FieldReading = FieldResult<RgbaLayer>;

/**
 * A whole microscope photo (decoded pixels) through a loaded tile model: the image checks and the quality gate first
 * (refused without inference when either fails; `force` overrides the gate, never the checks), tiles of the field
 * of view at the model's physical scale, tiles with stained objects through the model (ONNX)
 * in batches, the photo refused when most of them are unfamiliar (else those are left out),
 * the field's decision (decideField), a tile map overlay and, on request, a Grad-CAM layer of the
 * field's label. No Node APIs: the server (FieldPredictor) and the web app run this same code.
 */
export class FieldReader {
  readonly backgroundClass: string;
  readonly mixedClass: string | undefined;
  private readonly batchSize: number;
  /** The bundle's fitted decision rule (else the defaults), with its groups (else the label tree's). */
  private readonly decisionOptions: FieldDecisionOptions;

  /** Throws FieldUnsupportedError when the model cannot read whole fields. */
  constructor(
    private readonly model: ReadingModel,
    options: FieldReaderOptions = {},
  ) {
    const { input, classes } = model.metadata;
    if (input.channels !== 3 || input.height !== input.width) {
      throw new FieldUnsupportedError(`whole-field prediction needs a model with a square colour input; this one takes ${input.height}×${input.width}×${input.channels}`);
    }
    this.backgroundClass = options.backgroundClass ?? DEFAULT_BACKGROUND_CLASS;
    if (!classes.includes(this.backgroundClass)) {
      throw new FieldUnsupportedError(`the model has no class "${this.backgroundClass}" for organism-free tiles (classes: ${classes.join(', ')}); name it with backgroundClass`);
    }
    this.mixedClass = options.mixedClass ?? (classes.includes(DEFAULT_MIXED_CLASS) ? DEFAULT_MIXED_CLASS : undefined);
    if (this.mixedClass !== undefined && !classes.includes(this.mixedClass)) throw new FieldUnsupportedError(`the model has no class "${this.mixedClass}" (classes: ${classes.join(', ')})`);
    this.batchSize = options.batchSize ?? 64;
    if (!(Number.isInteger(this.batchSize) && this.batchSize >= 1)) throw new Error(`batchSize must be a positive integer, got ${this.batchSize}`);
    const rule: FieldDecisionRule = model.metadata.fieldDecision ?? DEFAULT_FIELD_DECISION;
    const groups = rule.groups ?? groupsFromTree(model.metadata.labelTree, classes, [this.backgroundClass, this.mixedClass]);
    this.decisionOptions = { ...rule, groups, classes, backgroundClass: this.backgroundClass, mixedClass: this.mixedClass };
  }

  get metadata(): BundleMetadata {
    return this.model.metadata;
  }

  /** `decodeMs`: the time the caller took to decode the photo, counted in the timings. */
  async read(photo: RgbPhoto, options: FieldPredictOptions = {}, decodeMs = 0): Promise<FieldReading> {
    const { signal, force = false, explain = false } = options;
    if (options.pxPerUm !== undefined && !(Number.isFinite(options.pxPerUm) && options.pxPerUm > 0)) {
      throw new Error(`the photo's pxPerUm must be a positive number, got ${options.pxPerUm}`);
    }
    signal?.throwIfAborted();
    const { processed, reading } = this.readPhoto(photo, options.pxPerUm, decodeMs);
    const { quality, tiles } = processed;
    const { classes, labelTree, referBelow } = this.metadata;
    const none = { decision: null, refusal: null, signature: null, forced: false, top: null, classes: [], treeTop: [], uncertain: false, tileMap: null, legend: [], heatmap: null };
    const unread = tiles.map((tile) => this.backgroundTile(tile));
    const checkStarted = performance.now();
    const checked = this.model.guard.checkPixels(photo.rgb, photo.width, photo.height, quality.fov ?? undefined);
    reading.timings.checkMs = performance.now() - checkStarted;
    reading.timings.totalMs += reading.timings.checkMs;
    if (checked) return { ...reading, ...none, refusal: checked, tiles: unread };
    if (!quality.ok && !force) return { ...reading, ...none, refusal: qualityRefusal(quality.reasons), tiles: unread };
    if (tiles.length === 0) {
      reading.warnings.push('no tile fits in the field of view: nothing to predict');
      return { ...reading, ...none, forced: !quality.ok, tiles: [] };
    }
    const started = performance.now();

    const inferredIndices = tiles.flatMap((tile, i) => (tile.background ? [] : [i]));
    const images = inferredIndices.map((i) => ({ data: tiles[i].rgb, height: tiles[i].size, width: tiles[i].size, channels: 3 }));
    const { probabilities, features } = await this.model.infer(images, { features: explain || this.model.guard.scoresEmbeddings, batchSize: this.batchSize, signal });
    const inferred = performance.now();
    const { unfamiliar, refusal, warning } = this.model.guard.judgeTiles(guarded(images, features));
    const signature = this.signatureOf(quality.measures.objectCount, probabilities, images.length);
    const refused = refusal ?? (signature && this.model.guard.judgeField(signature));
    if (refused) return { ...reading, ...none, refusal: refused, signature, forced: !quality.ok, tiles: unread };
    if (warning) reading.warnings.push(warning);

    const { decision, fieldTiles } = this.decide(tiles, inferredIndices, probabilities, unfamiliar);
    const ranked = toPrediction('field', Float32Array.from(decision.probabilities), 0, classes, referBelow ?? 0);
    const decided = performance.now();

    const colours = classColours(classes, this.backgroundClass);
    const mappedTiles = fieldTiles.filter((tile) => !tile.unfamiliar);
    const tileMap = tileMapLayer(mappedTiles, processed.width, processed.height, colours);
    const mapped = performance.now();

    // A group's answer is explained by its most widespread member.
    const explained = classes.includes(decision.label) ? decision.label : decision.morphotypes[0].label;
    let heatmap: RgbaLayer | null = null;
    if (explain) heatmap = await this.explainTiles(fieldTiles, inferredIndices, features, classes.indexOf(explained), processed.width, processed.height, reading.warnings);
    const end = performance.now();

    Object.assign(reading.timings, {
      inferenceMs: inferred - started,
      decisionMs: decided - inferred,
      tileMapMs: mapped - decided,
      explainMs: end - mapped,
      totalMs: reading.timings.totalMs + (end - started),
    });
    return {
      ...reading,
      decision,
      refusal: null,
      signature,
      forced: !quality.ok,
      // Rounded as the class list is (float32), so the top class and its entry in the list agree exactly.
      top: { label: decision.label, probability: Math.fround(decision.probability) },
      classes: ranked.classes,
      treeTop: treeTops(decision.probabilities, classes, labelTree),
      uncertain: fieldUncertain(decision, unfamiliar.filter(Boolean).length / images.length, this.decisionOptions.referral, referBelow ?? 0),
      tiles: fieldTiles,
      tileMap,
      legend: tileLegend(decision.tileCounts, colours),
      heatmap,
    };
  }

  /** Several fields of one specimen combined (combineFields); null when none of them was predicted. */
  combineSpecimen(fields: readonly Pick<FieldResult<unknown>, 'decision'>[], minFields = 1): SpecimenDecision | null {
    const decisions = fields.flatMap((field) => (field.decision ? [field.decision] : []));
    return decisions.length === 0 ? null : combineFields(decisions, { backgroundClass: this.backgroundClass, mixedClass: this.mixedClass, minFields });
  }

  /** The photo checked and tiled at the model's scale, with what the prediction says of it whatever follows. */
  private readPhoto(photo: RgbPhoto, pxPerUm: number | undefined, decodeMs: number): { processed: ProcessedPhoto; reading: PhotoReading } {
    const { input, labelTree } = this.metadata;
    const warnings: string[] = [];
    if (input.pxPerUm === undefined) warnings.push("the model does not record its physical scale (input.pxPerUm): tiles are cut at the photo's own scale");
    const processed = processPixels(photo.rgb, photo.width, photo.height, { tileSizePx: input.width, targetPxPerUm: input.pxPerUm, sourcePxPerUm: pxPerUm, estimateSourceScale: true }, decodeMs);
    const { quality, tiles } = processed;
    if (input.pxPerUm !== undefined && pxPerUm === undefined) {
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
      checkMs: 0,
      tilingMs: processed.timings.tilingMs,
      inferenceMs: 0,
      decisionMs: 0,
      tileMapMs: 0,
      explainMs: 0,
      totalMs: processed.timings.totalMs,
    };
    const reading = {
      width: processed.width,
      height: processed.height,
      quality: { ok: quality.ok, reasons: quality.reasons, measures: quality.measures, fov: quality.fov },
      labelTree,
      scale,
      warnings,
      modelVersion: this.model.modelVersion,
      timings,
    };
    return { processed, reading };
  }

  /**
   * The field's signature: its stained objects (counted up to where the object measure stops) and the
   * mean organism-free probability of the tiles read; null when no tile was read (nothing to judge).
   */
  private signatureOf(stainedObjects: number, probabilities: Float32Array, read: number): FieldSignature | null {
    if (read === 0) return null;
    const k = this.metadata.classes.length;
    const background = this.metadata.classes.indexOf(this.backgroundClass);
    let sum = 0;
    for (let row = 0; row < read; row++) sum += probabilities[row * k + background];
    return { stainedObjects: Math.min(stainedObjects, ENOUGH_OBJECTS), organismFreeShare: sum / read };
  }

  /** The field's decision from the tiles' probabilities (the background class, certain, for tiles not inferred), unfamiliar tiles left out. */
  private decide(
    tiles: readonly PhotoTile[],
    inferredIndices: readonly number[],
    probabilities: Float32Array,
    unfamiliar: readonly boolean[],
  ): { decision: FieldDecision; fieldTiles: FieldTile[] } {
    const { classes } = this.metadata;
    const k = classes.length;
    const backgroundIndex = classes.indexOf(this.backgroundClass);
    const backgroundRow = classes.map((_, c) => (c === backgroundIndex ? 1 : 0));
    const rows: number[][] = tiles.map(() => backgroundRow);
    const unfamiliarTile = tiles.map(() => false);
    inferredIndices.forEach((tileIndex, row) => {
      rows[tileIndex] = Array.from(probabilities.subarray(row * k, (row + 1) * k));
      unfamiliarTile[tileIndex] = unfamiliar[row];
    });
    // Tiles unlike the training images are left out of the field's answer (a field of mostly such tiles is refused).
    const kept = tiles.flatMap((_, i) => (unfamiliarTile[i] ? [] : [i]));
    const decision = decideField(kept.map((i) => rows[i]), {
      ...this.decisionOptions,
      weights: kept.map((i) => tiles[i].insideFraction),
      counted: kept.map((i) => !tiles[i].background),
    });
    const fieldTiles = tiles.map((tile, i): FieldTile => {
      const best = rows[i].indexOf(Math.max(...rows[i]));
      return { ...placement(tile), label: classes[best], probability: rows[i][best], probabilities: rows[i], background: tile.background, unfamiliar: unfamiliarTile[i] };
    });
    return { decision, fieldTiles };
  }

  private backgroundTile(tile: PhotoTile): FieldTile {
    const probabilities = this.metadata.classes.map((name) => (name === this.backgroundClass ? 1 : 0));
    return { ...placement(tile), label: this.backgroundClass, probability: 1, probabilities, background: tile.background, unfamiliar: false };
  }

  private async explainTiles(
    tiles: readonly FieldTile[],
    inferredIndices: readonly number[],
    features: FeatureMaps[] | null,
    target: number,
    width: number,
    height: number,
    warnings: string[],
  ): Promise<RgbaLayer | null> {
    const kernel = await this.model.denseKernel();
    if (!kernel || !features) {
      warnings.push(`no heatmap: the model needs a '${FEATURE_LAYER_NAME}' output and a global-average-pooling + dense head for the closed-form Grad-CAM`);
      return null;
    }
    const cams: (Heatmap | null)[] = tiles.map(() => null);
    inferredIndices.forEach((tileIndex, row) => (cams[tileIndex] = camFromFeatures(features[row], kernel, target)));
    return fieldHeatmapLayer(tiles, cams, width, height);
  }
}

function placement(tile: PhotoTile): Pick<FieldTile, 'x' | 'y' | 'size' | 'insideFraction'> {
  return { x: tile.x, y: tile.y, size: tile.sourceSize, insideFraction: tile.insideFraction };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
