import type {
  ActiveModelVersion,
  Agreement,
  BatchJob,
  Decision,
  DeviceModel,
  DevicePredictionSync,
  DeviceVerdictSync,
  ExplainMethod,
  FeedbackVerdict,
  FieldAnswer,
  LabelTreeNode,
  Model,
  Prediction,
  Project,
  QueueNext,
  Role,
  Session,
  TrainingRun,
  UndoResult,
  UploadedImage,
  User,
} from '../contract/index.ts';

/** A refused or failed request, with the server's own message (always meant for the user). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** From Retry-After on 429 answers. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let sessionLost: (message: string) => void = () => undefined;

/** Called when any request (other than logging in) answers 401: the session expired or was ended. */
export function onSessionLost(handler: (message: string) => void): void {
  sessionLost = handler;
}

let reachability: (reachable: boolean) => void = () => undefined;

/**
 * Told after every request whether the server answered at all: the page's own measure of being
 * online (navigator.onLine says only whether there is a network, and not always that).
 */
export function onReachability(handler: (reachable: boolean) => void): void {
  reachability = handler;
}

type Body = object | FormData | undefined;

async function request<T>(method: string, path: string, body?: Body): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const init: RequestInit = { method, headers, credentials: 'same-origin' };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    // Only with a body: Fastify refuses an empty body declared as JSON.
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch {
    reachability(false);
    throw new ApiError(0, 'The server cannot be reached. Check the connection and try again.');
  }
  reachability(true);
  if (response.status === 204) return undefined as T;
  const data: unknown = await response.json().catch(() => null);
  if (response.ok) return data as T;
  const serverMessage = (data as { error?: unknown } | null)?.error;
  const message = typeof serverMessage === 'string' ? serverMessage : `The server answered ${response.status} ${response.statusText}`;
  const retryAfter = Number(response.headers.get('retry-after'));
  const error = new ApiError(response.status, message, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null);
  if (response.status === 401 && path !== '/api/auth/login') sessionLost(message);
  throw error;
}

/** How far an upload has got: the share of its bytes sent, then null while the server works on it. */
export type UploadProgress = (sentFraction: number | null) => void;

/**
 * A form POSTed with XMLHttpRequest, which (unlike fetch) reports upload progress; answers and
 * errors are read as request() reads them.
 */
function upload<T>(path: string, form: FormData, onProgress: UploadProgress): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.addEventListener('progress', (event) => onProgress(event.lengthComputable ? event.loaded / event.total : 0));
    xhr.upload.addEventListener('load', () => onProgress(null));
    xhr.addEventListener('error', () => {
      reachability(false);
      reject(new ApiError(0, 'The server cannot be reached. Check the connection and try again.'));
    });
    xhr.addEventListener('load', () => {
      reachability(true);
      let data: unknown = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        // Not JSON: the status says what happened.
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(data as T);
      const serverMessage = (data as { error?: unknown } | null)?.error;
      const retryAfter = Number(xhr.getResponseHeader('retry-after'));
      const error = new ApiError(xhr.status, typeof serverMessage === 'string' ? serverMessage : `The server answered ${xhr.status} ${xhr.statusText}`, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null);
      if (xhr.status === 401) sessionLost(error.message);
      reject(error);
    });
    onProgress(0);
    xhr.send(form);
  });
}

const get = <T>(path: string) => request<T>('GET', path);
const post = <T>(path: string, body?: Body) => request<T>('POST', path, body);

export const api = {
  login: (username: string, password: string) => post<Session>('/api/auth/login', { username, password }),
  logout: () => post<void>('/api/auth/logout'),
  me: () => get<Session>('/api/auth/me'),

  /** A FieldAnswer (prediction null, nothing recorded) when the photo was read as a whole field and no tile fitted in its field of view. */
  predict: (form: FormData, onProgress: UploadProgress = () => undefined) => upload<Prediction | FieldAnswer>('/api/predict', form, onProgress),
  predictField: (form: FormData, onProgress: UploadProgress = () => undefined) => upload<FieldAnswer>('/api/predict/field', form, onProgress),
  predictions: (limit: number) => get<Prediction[]>(`/api/predictions?limit=${limit}`),
  feedback: (id: string, verdict: FeedbackVerdict, label?: string) =>
    post<Prediction>(`/api/predictions/${encodeURIComponent(id)}/feedback`, verdict === 'agree' ? { verdict } : { verdict, label }),

  /** Items made offline; a repeated sync answers with what the server already has. */
  syncPrediction: (payload: DevicePredictionSync) => post<Prediction>('/api/predictions/sync', payload),
  syncVerdict: (payload: DeviceVerdictSync) => post<Prediction>('/api/predictions/feedback/sync', payload),
  activeModelVersion: () => get<ActiveModelVersion>('/api/models/active/version'),

  projects: () => get<Project[]>('/api/projects'),
  createProject: (name: string, classTree: LabelTreeNode[], labelsRequired: number) => post<Project>('/api/projects', { name, classTree, labelsRequired }),
  uploadImage: (projectId: number, form: FormData) => post<UploadedImage>(`/api/projects/${projectId}/images`, form),
  queueNext: (projectId: number) => get<QueueNext>(`/api/projects/${projectId}/queue/next`),
  annotate: (projectId: number, image: string, label: string) => post<unknown>(`/api/projects/${projectId}/annotations`, { image, label }),
  undo: (projectId: number) => post<UndoResult>(`/api/projects/${projectId}/annotations/undo`),
  agreement: (projectId: number) => get<Agreement>(`/api/projects/${projectId}/agreement`),
  disagreements: (projectId: number) => get<Decision[]>(`/api/projects/${projectId}/disagreements`),
  adjudicate: (projectId: number, image: string, label: string) => post<Decision>(`/api/projects/${projectId}/adjudications`, { image, label }),

  users: () => get<User[]>('/api/users'),
  createUser: (username: string, password: string, role: Role) => post<User>('/api/users', { username, password, role }),
  updateUser: (id: number, changes: { disabled?: boolean; role?: Role; password?: string }) => request<User>('PATCH', `/api/users/${id}`, changes),

  models: () => get<Model[]>('/api/models'),
  deviceModel: () => get<DeviceModel>('/api/models/active/device'),
  activateModel: (id: number) => post<Model>(`/api/models/${id}/activate`),

  runs: () => get<TrainingRun[]>('/api/runs'),
  run: (id: number) => get<TrainingRun>(`/api/runs/${id}`),
  launchRun: (projectId: number) => post<TrainingRun>('/api/runs', { projectId }),
  cancelRun: (id: number) => post<TrainingRun>(`/api/runs/${id}/cancel`),

  /** Scoring and re-explanation jobs, newest first. */
  jobs: () => get<BatchJob[]>('/api/jobs'),
  job: (id: number) => get<BatchJob>(`/api/jobs/${id}`),
  /** Every image of the project, scored by the active model. */
  launchScoring: (projectId: number) => post<BatchJob>('/api/jobs/scoring', { projectId }),
  /** Every image of the project, explained by the active model with a CAM method. */
  launchExplaining: (projectId: number, method: ExplainMethod) => post<BatchJob>('/api/jobs/explaining', { projectId, method }),
  cancelJob: (id: number) => post<BatchJob>(`/api/jobs/${id}/cancel`),
};

export const AUDIT_CSV_URL = '/api/audit.csv';

export function runEventsUrl(id: number): string {
  return `/api/runs/${id}/events`;
}

export function jobEventsUrl(id: number): string {
  return `/api/jobs/${id}/events`;
}

/** A scoring job's results so far, one line per image. */
export function jobScoresCsvUrl(id: number): string {
  return `/api/jobs/${id}/scores.csv`;
}

/** A message for any thrown value, fit to show to the user. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
