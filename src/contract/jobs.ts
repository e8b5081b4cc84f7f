import type { ClassProbability, Refusal } from './prediction.ts';
import type { RunStatus } from './training.ts';

/** The kinds of long job the queue runs: training a model, scoring a project's images, re-explaining images. */
export type JobKind = 'training' | 'scoring' | 'explaining';

/** The explanation methods a re-explanation job can use (those of src/explain). */
export type ExplainMethod = 'gradcam' | 'gradcam++' | 'hirescam';

/** What a scoring job scores: every image of a project, with one model (the active model at launch). */
export interface ScoringParams {
  projectId: number;
  modelId: number;
}

/**
 * What a re-explanation job explains: every image of a project, or the images of stored
 * predictions (explaining the class each prediction showed), with one model and method.
 */
export interface ExplainingParams {
  source: { projectId: number } | { predictionIds: string[] };
  modelId: number;
  method: ExplainMethod;
}

/** A job's progress: items done (scored or explained, a taken-over job's earlier items included) of the total. */
export interface JobProgress {
  done: number;
  total: number;
}

/**
 * What a scoring job made of one image, as POST /api/predict would answer it: the model's classes,
 * its refusal, no reading (a whole field with no tile in its field of view: the quality check's
 * reasons), or an error (the model could not process the image).
 */
export type BatchScoreOutput =
  | { classes: ClassProbability[]; top: ClassProbability; uncertain: boolean; field?: { label: string; multiple: boolean; forced: boolean } }
  | { refusal: Refusal }
  | { unread: { reasons: string[] } }
  | { error: string };

/** Counts of a scoring job's results so far. */
export interface ScoringSummary {
  scored: number;
  /** Confident answers per class (the field's label for whole fields). */
  perClass: Record<string, number>;
  uncertain: number;
  refused: number;
  unread: number;
  failed: number;
}

/** Counts of a re-explanation job's results so far. */
export interface ExplainingSummary {
  explained: number;
  refused: number;
  failed: number;
}

/** A scoring or re-explanation job as the API shows it (times are ISO strings in the API). */
export interface BatchJob<Time = string> {
  id: number;
  kind: 'scoring' | 'explaining';
  status: RunStatus;
  params: ScoringParams | ExplainingParams;
  progress: JobProgress | null;
  summary: ScoringSummary | ExplainingSummary;
  error: string | null;
  runner: string | null;
  createdAt: Time;
  startedAt: Time | null;
  finishedAt: Time | null;
}

/** One image's re-explanation, stored beside (never in place of) the heatmap a clinician was shown. */
export interface Reexplanation<Time = string> {
  id: number;
  jobId: number;
  imageSha256: string;
  /** The prediction whose shown class was explained (predictions source); null for a project's image. */
  predictionId: string | null;
  modelId: number;
  modelVersion: string;
  method: ExplainMethod;
  /** The class explained, with the model's calibrated probability of it; null when the model refused the image. */
  target: ClassProbability | null;
  refusal: Refusal | null;
  /** Why the model could not process the image (no heatmap either). */
  error: string | null;
  hasHeatmap: boolean;
  createdAt: Time;
}
