export { openStore, DATABASE_FILE, type Store, type StoreOptions } from './store.ts';
export { connectDatabase, openDatabase, isPostgresUrl } from './database.ts';
export { SqliteSql } from './sqlite.ts';
export { numberPlaceholders } from './postgres.ts';
export type { ChannelHandlers, Listening, Sql } from './sql.ts';
export { migrate, schemaVersion, MIGRATIONS, type Migration } from './migrations.ts';
export { StoreError, type StoreErrorKind } from './errors.ts';
export { systemClock, type Clock } from './clock.ts';
export { MIN_PASSWORD_LENGTH, MAX_PASSWORD_BYTES } from './password-policy.ts';
export { MAX_USERNAME_LENGTH, normaliseUsername, usernameSkeleton } from './usernames.ts';
export {
  ROLES,
  MIN_BCRYPT_COST,
  type User,
  type NewUser,
  type UserChanges,
} from './users.ts';
export type { SessionLookup } from './sessions.ts';
export { DEFAULT_MAX_FAILURES_OVERALL, DEFAULT_MAX_FAILURES_PER_IP, type LoginPermission, type LoginRateLimit } from './login-attempts.ts';
export { PasswordHashPool, type PasswordHasher, type PasswordPoolOptions } from './password-hasher.ts';
export { FolderBlobStore, blobKey, isSha256, type BlobStore } from './blob-store.ts';
export { DEFAULT_IMAGE_LIMITS, sniffImageFormat, type ImageHeader, type ImageLimits, type StoredImage, type StoredFormat, type UploadFormat } from './images.ts';
export { checkClassTree, leafClasses, EXTRA_CHOICES, type ExtraChoice } from './class-tree.ts';
export { MAX_LABELS_REQUIRED, type Project, type ProjectImage, type NewProject, type NewProjectImage } from './projects.ts';
export type { LabelResult, QueuePosition, UndoResult, Vote } from './annotations.ts';
export { type ImageDecision, type ManifestExport } from './decisions.ts';
export { agreementReport, type AgreementReport, type PairAgreement, type Rating } from './agreement.ts';
export { MODEL_ACTIVATED_CHANNEL, type ModelRecord, type NewModel } from './models.ts';
export { FEEDBACK_VERDICTS, type DeviceVerdict, type Feedback } from './feedback.ts';
export {
  type NewPrediction,
  type PredictionOutput,
  type PredictionQuery,
  type PredictionRecord,
  type StoredFieldSummary,
  type Synced,
} from './predictions.ts';
export { JOB_KINDS, RUN_STATUSES, isFinished, type RunRecord, type Runner } from './runs.ts';
export { reexplanationItem, type RecordOutcome, type ReexplanationOutput } from './job-results.ts';
export { toCsv, type CsvOptions } from './csv.ts';
