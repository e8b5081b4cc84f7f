/** Inputs of the evaluation report and the JSON-serialisable data it is rendered from. */
import type { BinaryCounts, ClassifierReport, Estimate, FoldSummary } from '../evaluate/index.ts';
import type { Point } from './svg.ts';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A report of another label set (a label-tree level) or of a subset of the test set (a slice). */
export interface NamedReport {
  /** E.g. "Gram group" for a level, "stain: Hucker" or "device: phone" for a slice. */
  name: string;
  report: ClassifierReport;
}

/** A per-class threshold chosen on validation data to reach a target sensitivity. */
export interface OperatingPointChoice {
  class: string;
  threshold: number;
  targetSensitivity: number;
}

export interface DatasetSplit {
  /** E.g. "train", "validation", "test". */
  name: string;
  /** Images per class, in the order of the report's classNames. */
  classCounts: number[];
  /** Distinct patients; null when unknown. */
  patients: number | null;
}

export interface DatasetCardInput {
  /** What the data is, e.g. "Synthetic Gram stains v2, 9 classes". */
  description: string;
  splits: DatasetSplit[];
  /** Size of the images the model sees. */
  imageSize: { width: number; height: number; channels: number };
  /** The run's config: together with the seed it reproduces the run. Must be JSON-serialisable. */
  config: object;
  seed: number;
}

export type DatasetCard = Omit<DatasetCardInput, 'config'> & { config: JsonValue };

/** A test image the model got wrong. */
export interface ConfidentError {
  /** Row in labels/probabilities. */
  index: number;
  trueLabel: number;
  predicted: number;
  /** Probability of the predicted class. */
  confidence: number;
}

export interface ErrorExampleInput extends ConfidentError {
  /** File name or path shown under the thumbnail. */
  source: string;
  thumbnailPng?: Uint8Array;
}

/** A test image with the explanation of its prediction (e.g. Grad-CAM blended over it). */
export interface GalleryItemInput extends ConfidentError {
  source: string;
  /** Name of the explanation method, e.g. "Grad-CAM". */
  method: string;
  overlayPng: Uint8Array;
}

export interface GalleryItem extends ConfidentError {
  source: string;
  method: string;
  correct: boolean;
  /** "data:image/png;base64,…". */
  overlay: string;
}

export interface ErrorExample extends ConfidentError {
  source: string;
  /** "data:image/png;base64,…", or null without a thumbnail. */
  thumbnail: string | null;
}

export interface ReportInput {
  title: string;
  /** Model name and version as shown in the header. */
  model: string;
  /** Defaults to now. */
  createdAt?: Date;
  classNames: readonly string[];
  labels: Int32Array;
  /** Calibrated probabilities, n × k row-major. */
  probabilities: Float32Array;
  /** The same predictions before temperature scaling, for the before/after calibration comparison. */
  uncalibratedProbabilities?: Float32Array;
  /** Patient id per image: confidence intervals then resample patients. */
  groups?: ArrayLike<string | number>;
  /** Seed of the bootstrap. */
  seed: number;
  /** 1000 by default. */
  bootstrapIterations?: number;
  /** The temperature that turned uncalibratedProbabilities into probabilities. */
  temperature?: number;
  /** Cases whose top probability is below this level are referred to a human. */
  referral?: { confidenceLevel: number };
  operatingPoints?: OperatingPointChoice[];
  datasetCard: DatasetCardInput;
  /** Most confident errors, e.g. from mostConfidentErrors with file names and thumbnails added. */
  errors?: ErrorExampleInput[];
  /** Correct and wrong predictions with the heatmap of what the model looked at. */
  gallery?: GalleryItemInput[];
  levels?: NamedReport[];
  /** One report per cross-validation fold. */
  folds?: ClassifierReport[];
  /** Given when labels and probabilities are the pooled out-of-fold predictions of these fold runs (same order as folds). */
  foldRuns?: FoldRunInput[];
  slices?: NamedReport[];
  /** What people see for a class or label-tree group (e.g. "Gram-positive cocci in clusters" for gpc_clusters); codes without one are shown as they are. */
  displayNames?: Readonly<Record<string, string>>;
  /** True when the evaluated images are synthetic: the report says so at the top. */
  synthetic?: boolean;
}

export interface ClassCurves {
  className: string;
  /** ROC curve as (false-positive rate, true-positive rate), thinned; null without positives or negatives. */
  roc: Point[] | null;
  /** Precision-recall as the drawn step line of (recall, precision), thinned; null without positives. */
  precisionRecall: Point[] | null;
  /** Average precision on the full curve; null without positives. */
  averagePrecision: number | null;
  /** Share of test images of this class: the precision of a random guess. */
  prevalence: number;
}

export interface ReliabilityBinData {
  lower: number;
  upper: number;
  count: number;
  /** null for an empty bin. */
  meanConfidence: number | null;
  accuracy: number | null;
}

export interface CalibrationSummary {
  expectedCalibrationError: number;
  brierScore: number;
  reliability: ReliabilityBinData[];
}

export interface CalibrationData {
  temperature: number | null;
  bins: number;
  /** null when no uncalibrated probabilities were given. */
  before: CalibrationSummary | null;
  after: CalibrationSummary;
}

export interface ReferralData {
  confidenceLevel: number;
  referredCount: number;
  retainedCount: number;
  /** Share of images referred, with a Wilson interval. */
  referralRate: Estimate;
  /** Accuracy on the images not referred, with a Wilson interval; null value when every image is referred. */
  retainedAccuracy: Estimate;
  /** Accuracy on all images without referral: the evaluation's estimate. */
  overallAccuracy: Estimate;
}

export type OperatingPointResult = OperatingPointChoice & {
  classIndex: number;
  counts: BinaryCounts;
} & Record<'sensitivity' | 'specificity' | 'ppv' | 'npv', Estimate>;

type FoldPart = 'train' | 'val' | 'test';

/** One cross-validation fold as run: train and val fit its model, test is its held-out part. */
export interface FoldRunInput {
  /** 0-based. */
  fold: number;
  patients: Record<FoldPart, readonly string[]>;
  images: Record<FoldPart, number>;
  /** 0-based epoch whose weights were kept, of epochsRun epochs trained. */
  bestEpoch: number;
  epochsRun: number;
  temperature: number;
  /** The fold's own report.html, relative to the cross-validation report; null without one. */
  reportPath: string | null;
}

export interface FoldRunData extends Omit<FoldRunInput, 'patients'> {
  patients: Record<FoldPart, number>;
  /** Patients found in more than one part of this fold: 0 when the fold is patient-disjoint. */
  patientsInTwoParts: number;
}

/** How the pooled out-of-fold predictions were made, with the checks that they are honest. */
export interface OutOfFoldData {
  runs: FoldRunData[];
  /** Distinct patients over the held-out parts of all folds. */
  patients: number;
  /** Patients held out by more than one fold: 0 when every patient is held out once. */
  patientsHeldOutTwice: number;
}

export interface CrossValidationData {
  folds: ClassifierReport[];
  summary: FoldSummary;
  /** null unless the report's predictions are the pooled out-of-fold predictions. */
  outOfFold: OutOfFoldData | null;
}

export interface ReportData {
  format: 'gramlens-evaluation-report';
  version: 1;
  title: string;
  model: string;
  /** ISO 8601, UTC. */
  createdAt: string;
  evaluation: ClassifierReport;
  curves: ClassCurves[];
  calibration: CalibrationData;
  referral: ReferralData | null;
  operatingPoints: OperatingPointResult[] | null;
  errors: ErrorExample[] | null;
  gallery: GalleryItem[] | null;
  levels: NamedReport[] | null;
  slices: NamedReport[] | null;
  crossValidation: CrossValidationData | null;
  datasetCard: DatasetCard;
  /** Class and group code → display name (empty when none was given). */
  displayNames: Record<string, string>;
  synthetic: boolean;
  /** Distinct patients among the evaluated images of each class (order of classNames); null without patient ids. */
  patientsPerClass: number[] | null;
}
