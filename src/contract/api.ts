/** Shapes of the JSON the gramlens HTTP API answers with (see GET /api/openapi.json); times are ISO strings. */
import type { LabelTreeNode } from './label-tree.ts';
import type { OnDeviceMark } from './device-sync.ts';
import type { ClassPrediction, ClassProbability, FieldSummary, Refusal } from './prediction.ts';

export type Role = 'clinician' | 'annotator' | 'admin';

export interface SessionUser {
  id: number;
  username: string;
  role: Role;
}

export interface Session {
  user: SessionUser;
  expiresAt: string;
}

export interface User extends SessionUser {
  createdAt: string;
  disabled: boolean;
}

export interface ImageRef {
  sha256: string;
  url: string;
}

export type FeedbackVerdict = 'agree' | 'correct';

/** A whole-field prediction's summary as the API returns it: with its tile map's URL. */
export interface FieldSummaryView extends FieldSummary {
  tileMapUrl: string | null;
}

/** A prediction from the audit trail: the model's classes, or its refusal (no class; `refusal` says why). */
export type Prediction = PredictionRecordView & (AnsweredPrediction | RefusedPrediction);

export interface AnsweredPrediction extends ClassPrediction {
  refusal: null;
}

export interface RefusedPrediction {
  refusal: Refusal;
  /** Empty. */
  classes: ClassProbability[];
  top: null;
  uncertain: false;
}

interface PredictionRecordView {
  id: string;
  createdAt: string;
  user: { id: number; username: string };
  image: ImageRef;
  modelId: number | null;
  /** The bundle's own version, e.g. "resnet-small@2026-12-06T19:32:52.501Z" (what the audit trail keeps). */
  modelVersion: string;
  /** The registered model's readable name and version, e.g. Sputum study, run-3; null when unknown. */
  model: { name: string; version: string } | null;
  tree?: LabelTreeNode[];
  heatmapUrl: string | null;
  /** Present for a whole-field prediction that was answered. */
  field?: FieldSummaryView;
  specimenType: string;
  caseId: string | null;
  /** Made on the device (offline) and synced: createdAt is when the server received it, onDevice.madeAt the device's time; null when the server predicted. */
  onDevice: OnDeviceMark | null;
  /** The latest verdict of the user who made the prediction. */
  feedback: FeedbackView | null;
  /** Every verdict on the prediction by anyone (a reviewer's included), oldest first. */
  feedbackHistory: FeedbackView[];
}

export interface FeedbackView {
  verdict: FeedbackVerdict;
  label: string | null;
  user: { id: number; username: string };
  createdAt: string;
  /** Only for a verdict given offline on a device: the device's time (createdAt is when it arrived). */
  madeAt?: string;
}

/**
 * POST /api/predict/field (and POST /api/predict for a photo read as a whole field): a refusal is a
 * prediction, a failed quality check without force included (code 'quality'); prediction is null
 * only when no tile fits in the field of view.
 */
export interface FieldAnswer {
  quality: { ok: boolean; reasons: string[]; measures: unknown };
  warnings: string[];
  prediction: Prediction | null;
}

/** An annotation project; the store keeps `createdAt` as epoch milliseconds, the API sends ISO text. */
export interface Project<Time = string> {
  id: number;
  name: string;
  classTree: LabelTreeNode[];
  /** The leaf classes: the labels a trained model can output. */
  classes: string[];
  /** What an annotator may answer: the classes, then 'unclear' and 'skip'. */
  choices: string[];
  labelsRequired: number;
  createdAt: Time;
  imageCount: number;
}

export interface QueueNext {
  image: ImageRef | null;
  remaining: number;
  choices: string[];
}

export interface UndoResult {
  image: ImageRef;
  undoneLabel: string;
  restoredLabel: string | null;
}

/**
 * How an image's final label came about, or why it has none:
 * awaiting-labels: fewer real labels than the project requires; no-majority: annotators disagree
 * and nobody adjudicated; unclear: the decision is 'unclear' (no class).
 */
export type DecisionStatus = 'adjudicated' | 'unanimous' | 'majority' | 'awaiting-labels' | 'no-majority' | 'unclear';

export interface Decision {
  image: ImageRef;
  patientId: string;
  specimen: string | null;
  originalName: string | null;
  votes: { annotatorId: number; username: string; label: string }[];
  adjudicatedLabel: string | null;
  label: string | null;
  status: DecisionStatus;
}

export interface Agreement {
  categories: string[];
  pairs: { annotators: [{ id: number; username: string }, { id: number; username: string }]; items: number; kappa: number | null }[];
  fleiss: { kappa: number | null; items: number; ratersPerItem: number };
}

export interface Model {
  id: number;
  /** The bundle's folder on the server: shown to admins only. */
  path?: string;
  name: string;
  version: string;
  /** `test`: a TestSummary for bundles trained since it was recorded (older ones: the figures alone). */
  metrics: unknown;
  createdAt: string;
  active: boolean;
  /** The scale the model reads photos at (pixels per µm), when its bundle records one. */
  inputPxPerUm: number | null;
  /** GET this for the evaluation report of the model's training run; null when there is none. */
  reportUrl: string | null;
}

export interface UploadedImage {
  image: ImageRef & { format: string; width: number; height: number; bytes: number };
  patientId: string;
  specimen: string | null;
  originalName: string | null;
  added: boolean;
}

/** GET /api/models/active/device: what the web app needs to run the server's model on the device. */
export interface DeviceModel {
  /** The bundle's own version, as the audit trail records it (e.g. "resnet-small@2026-12-06T19:32:52.501Z"). */
  modelVersion: string;
  /** Size of the ONNX model, for the page's "small enough" check. */
  onnxBytes: number;
  /** Same-origin URLs of the model (ONNX), of the metadata the page needs (JSON) and of the head's dense kernel (float32, little-endian; null without one). */
  files: { model: string; metadata: string; denseKernel: string | null };
}
