import type { CoarseLabel } from './labels.ts';

/** A decoded image in memory: HWC order, values in 0..1. */
export interface RawImage {
  data: Float32Array;
  height: number;
  width: number;
  channels: number;
}

/** One labelled image file. `patientId` groups images that must stay on the same side of a split. */
export interface Sample {
  /** Absolute path of the image file. */
  path: string;
  /** Class name: one of the dataset's `classes`, or the name of one of its `coarseLabels`. */
  label: string;
  patientId: string;
  specimen?: string;
  slide?: string;
  stain?: string;
  device?: string;
  /** Manifest columns beyond the known ones, kept verbatim. */
  extra?: Record<string, string>;
}

export interface Dataset {
  /** Folder that every sample path lies inside. */
  root: string;
  /** Class names; a sample's class index is its label's position here. */
  classes: string[];
  /**
   * Label-tree nodes some samples carry as their label instead of a class (only those used), so
   * label index classes.length + i means coarseLabels[i]. Absent when every label is a class.
   */
  coarseLabels?: CoarseLabel[];
  samples: Sample[];
}
