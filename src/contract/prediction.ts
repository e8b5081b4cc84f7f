import type { LabelTreeNode } from './label-tree.ts';

/** A class label with its calibrated probability. */
export interface ClassProbability {
  label: string;
  probability: number;
}

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

/** A served model's answer for one image (the server's Predictor). */
export interface PredictorResult extends ClassPrediction {
  /** PNG of the heatmap, a colour layer the size of the photo. */
  heatmapPng?: Uint8Array | null;
  modelVersion: string;
  /** The label tree the classes belong to, passed through to the client. */
  tree?: LabelTreeNode[];
}

/** A served model's whole-field answer: always the quality verdict; a prediction unless the check failed without force. */
export interface FieldPredictorResult {
  quality: { ok: boolean; reasons: string[]; measures: unknown };
  warnings: string[];
  prediction: (PredictorResult & { tileMapPng: Uint8Array | null; field: FieldSummary }) | null;
}
