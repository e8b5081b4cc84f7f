/** Shapes of the JSON the gramlens API answers with (see GET /api/openapi.json). */

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

export interface ClassProbability {
  name: string;
  probability: number;
}

/** A label tree node as models and projects describe it; displayName is optional. */
export interface TreeNode {
  name: string;
  displayName?: string;
  children?: TreeNode[];
}

export type FeedbackVerdict = 'agree' | 'correct';

export interface Prediction {
  id: string;
  createdAt: string;
  user: { id: number; username: string };
  image: ImageRef;
  modelId: number | null;
  modelVersion: string;
  classes: ClassProbability[];
  top: ClassProbability;
  uncertain: boolean;
  tree?: unknown;
  heatmapUrl: string | null;
  /** Present for a whole-field prediction. */
  field?: FieldSummary;
  specimenType: string;
  caseId: string | null;
  feedback: { verdict: FeedbackVerdict; label: string | null; createdAt: string } | null;
}

/** What a whole-field prediction adds: the quality verdict, the morphotypes behind the label, the tile map. */
export interface FieldSummary {
  /** Predicted although the photo failed the quality check. */
  forced: boolean;
  quality: { ok: boolean; reasons: string[] };
  label: string;
  morphotypes: { label: string; tileCount: number }[];
  multiple: boolean;
  tiles: { total: number; inferred: number };
  legend: { label: string; colour: string; tiles: number }[];
  photoPxPerUm: number | null;
  warnings: string[];
  tileMapUrl: string | null;
}

/** POST /api/predict/field: prediction is null when the photo failed the quality check (and was not forced). */
export interface FieldAnswer {
  quality: { ok: boolean; reasons: string[]; measures: unknown };
  warnings: string[];
  prediction: Prediction | null;
}

export interface Project {
  id: number;
  name: string;
  classTree: TreeNode[];
  classes: string[];
  choices: string[];
  labelsRequired: number;
  createdAt: string;
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
  path: string;
  name: string;
  version: string;
  metrics: unknown;
  createdAt: string;
  active: boolean;
}

export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface Run {
  id: number;
  projectId: number;
  status: RunStatus;
  progress: unknown;
  bundlePath: string | null;
  error: string | null;
  modelId: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface UploadedImage {
  image: ImageRef & { format: string; width: number; height: number; bytes: number };
  patientId: string;
  specimen: string | null;
  originalName: string | null;
  added: boolean;
}
