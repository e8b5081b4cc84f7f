/** The shapes that cross boundaries (models, store, server, CLI, web app): types only, so that the browser bundle can import them. */
export type { FieldDecisionParams, FieldDecisionRule, FieldReferral, MorphotypeGroup } from './field-decision.ts';
export type { ActiveModelVersion, DevicePredictionSync, DeviceResult, DeviceVerdictSync, OnDeviceMark } from './device-sync.ts';
export type { LabelTreeNode } from './label-tree.ts';
export type {
  AnsweredResult,
  ClassPrediction,
  ClassProbability,
  FieldPredictorResult,
  FieldSummary,
  LegendEntry,
  PredictorResult,
  RefusedResult,
  Refusal,
  RefusalCode,
  WholeFieldResult,
} from './prediction.ts';
export type {
  BatchJob,
  BatchScoreOutput,
  ExplainingParams,
  ExplainingSummary,
  ExplainMethod,
  JobKind,
  JobProgress,
  Reexplanation,
  ScoringParams,
  ScoringSummary,
} from './jobs.ts';
export type { OperatingPointOutcome, QueuedJob, RunStatus, TargetVerdict, TestSummary, TrainingRun } from './training.ts';
export type {
  Agreement,
  AnsweredPrediction,
  Decision,
  DeviceModel,
  DecisionStatus,
  FeedbackVerdict,
  FeedbackView,
  FieldAnswer,
  FieldSummaryView,
  ImageRef,
  Model,
  Prediction,
  Project,
  QueueNext,
  RefusedPrediction,
  Role,
  Session,
  SessionUser,
  UndoResult,
  UploadedImage,
  User,
} from './api.ts';
