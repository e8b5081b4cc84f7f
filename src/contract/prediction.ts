import type { LabelTreeNode } from './label-tree.ts';

/** A class label with its calibrated probability. */
export interface ClassProbability {
  label: string;
  probability: number;
}

/**
 * Why an input got no answer: the model cannot read it (blank, noise, not a stained bright-field
 * slide, unlike anything it was trained on, a whole field that fails the photo quality check, or a
 * whole field the model cannot tile). Shown as "this is not something I can read: <reason>"; never
 * comes with a class.
 */
export interface Refusal {
  code: RefusalCode;
  /** A few words for people, e.g. "the image is blank or almost uniform". */
  reason: string;
  /** For a whole field: tiles sent to the model, and how many of them were unlike its training images. */
  tiles?: { read: number; unfamiliar: number };
  /** For code 'quality': the quality check's reasons (e.g. 'out of focus'); "predict anyway" (force) overrides only this refusal. */
  qualityReasons?: string[];
}

/**
 * blank … drawing: image checks; unfamiliar: the model's out-of-distribution scores; quality: a
 * whole field that fails the photo quality check; field-unsupported: a whole field this model cannot tile.
 */
export type RefusalCode = 'blank' | 'noise' | 'greyscale' | 'dark' | 'colours' | 'page' | 'drawing' | 'unfamiliar' | 'quality' | 'field-unsupported';

/** What a model says about an image or a whole field. */
export interface ClassPrediction {
  /** Every class, most probable first. */
  classes: ClassProbability[];
  top: ClassProbability;
  /** The top probability is below the model's referral level: refer the case. */
  uncertain: boolean;
}

/** A class's colour on a tile map and its tiles: the same counts as the field's morphotypes. */
export interface LegendEntry {
  label: string;
  /** #rrggbb */
  colour: string;
  /** Tiles read whose most likely class it is. */
  tiles: number;
  /** Of those, the tiles confident enough to count as evidence (absent in records made before it was recorded). */
  confidentTiles?: number;
}

/** What the audit trail keeps of a whole-field prediction (the quality verdict, morphotypes and tiles behind its label). */
export interface FieldSummary {
  /** Predicted although the photo failed the quality check ("predict anyway"). */
  forced: boolean;
  quality: { ok: boolean; reasons: string[] };
  /** The field's label (also the prediction's top class): a class, or a group of morphotypes not told apart (e.g. 'Gram-negative'). */
  label: string;
  /** Morphotypes present, with their tiles as the legend counts them (tileCount = its legend entry's tiles). */
  morphotypes: { label: string; tileCount: number; confidentTiles?: number }[];
  multiple: boolean;
  tiles: { total: number; inferred: number };
  legend: LegendEntry[];
  photoPxPerUm: number | null;
  warnings: string[];
}

/** A served model's answer for one image (the server's Predictor): its classes, or a refusal (see RefusedResult). */
export type PredictorResult = AnsweredResult | RefusedResult;

export interface AnsweredResult extends ClassPrediction {
  /** PNG of the heatmap, a colour layer the size of the photo. */
  heatmapPng?: Uint8Array | null;
  modelVersion: string;
  /** The label tree the classes belong to, passed through to the client. */
  tree?: LabelTreeNode[];
  refusal?: null;
}

/** The model cannot read the image: no class, no heatmap. */
export interface RefusedResult {
  refusal: Refusal;
  modelVersion: string;
  tree?: LabelTreeNode[];
}

/**
 * A served model's whole-field answer: always the quality verdict; then its answer or refusal (a
 * failed quality check without force is a refusal, code 'quality'); null only when no tile fits in
 * the field of view.
 */
export interface FieldPredictorResult {
  quality: { ok: boolean; reasons: string[]; measures: unknown };
  warnings: string[];
  prediction: (AnsweredResult & { tileMapPng: Uint8Array | null; field: FieldSummary }) | RefusedResult | null;
}

/** A photo sent as one image that was read as a whole field (whole-field by default), and why. */
export interface WholeFieldResult extends FieldPredictorResult {
  wholeField: string;
}
