// The clients of `npm run bench:scale`: each sends one request after another until its time is up,
// retrying a request that got no answer from a gramlens server (a network error, or nginx's 502,
// 503 or 504) with the same body and a new attempt tag, and records every attempt, so that the
// audit trail and nginx's log can be checked against what the clients were told.

export type RequestKind = 'predict' | 'annotate';

export interface Attempt {
  /** Sent as X-Request-Tag, logged by nginx. */
  tag: string;
  /** null: no HTTP answer (connection refused or reset). */
  status: number | null;
}

export interface Outcome {
  kind: RequestKind;
  /** The request's own tag (its attempts are tag.1, tag.2, …); a prediction's caseId. */
  tag: string;
  attempts: Attempt[];
  /** The last attempt's status. */
  status: number | null;
  /** The audit row's id of a prediction answered 201. */
  predictionId: string | null;
  endedAt: number;
}

/** What one client sends: a request for a tag (a fresh body each time, the same for every attempt). */
export interface ClientSpec {
  kind: RequestKind;
  request(tag: string): { path: string; init: RequestInit };
}

const RETRYABLE = new Set([502, 503, 504]);
const MAX_ATTEMPTS = 5;

function retryDelayMs(response: Response | null, attempt: number): number {
  const retryAfter = Number(response?.headers.get('retry-after'));
  return Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(2000, retryAfter * 1000) : 100 * attempt;
}

/** Sends a request until it gets an answer that is not a gateway's (at most MAX_ATTEMPTS times). */
export async function sendWithRetries(baseUrl: string, kind: RequestKind, tag: string, spec: { path: string; init: RequestInit }): Promise<Outcome> {
  const attempts: Attempt[] = [];
  let body = '';
  for (let attempt = 1; ; attempt++) {
    const attemptTag = `${tag}.${attempt}`;
    let response: Response | null = null;
    try {
      response = await fetch(`${baseUrl}${spec.path}`, { ...spec.init, headers: { ...(spec.init.headers as Record<string, string>), 'x-request-tag': attemptTag } });
      body = await response.text();
    } catch {
      response = null;
    }
    attempts.push({ tag: attemptTag, status: response?.status ?? null });
    const retry = response === null || RETRYABLE.has(response.status);
    if (!retry || attempt === MAX_ATTEMPTS) {
      const status = response?.status ?? null;
      const predictionId = kind === 'predict' && status === 201 ? ((JSON.parse(body) as { id?: string }).id ?? null) : null;
      return { kind, tag, attempts, status, predictionId, endedAt: performance.now() };
    }
    await new Promise((resolve) => setTimeout(resolve, retryDelayMs(response, attempt)));
  }
}

/** Runs every client, one request after another, until `seconds` have passed; every outcome, in the order they ended. */
export async function runLoad(baseUrl: string, clients: readonly ClientSpec[], seconds: number, tagPrefix: string): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    clients.map(async (client, index) => {
      for (let n = 0; performance.now() < until; n++) {
        const tag = `${tagPrefix}-${index}-${n}`;
        outcomes.push(await sendWithRetries(baseUrl, client.kind, tag, client.request(tag)));
      }
    }),
  );
  return outcomes;
}

/** Predictions answered 201 per second, counting those that ended between warm-up and the end. */
export function predictionsPerSecond(outcomes: readonly Outcome[], startedAt: number, seconds: number, warmUpSeconds: number): number {
  const from = startedAt + warmUpSeconds * 1000;
  const to = startedAt + seconds * 1000;
  const done = outcomes.filter((outcome) => outcome.kind === 'predict' && outcome.status === 201 && outcome.endedAt >= from && outcome.endedAt <= to).length;
  return done / (seconds - warmUpSeconds);
}

export interface AuditRow {
  id: string;
  caseId: string | null;
}

export interface WriteCheck {
  /** Predictions answered 201. */
  acknowledged: number;
  /** Answered 201 but without their audit row (or with another request's case). */
  lost: number;
  /** Audit rows of the clients' requests whose id no client was given: written by a server killed before it answered. */
  unacknowledged: number;
  /** Of those, rows of a request whose retry was answered (the same photo and case recorded twice). */
  duplicated: number;
}

/** Every 201 prediction must have exactly one audit row, its own; the rows no client was told of are counted. */
export function checkWrites(outcomes: readonly Outcome[], rows: readonly AuditRow[]): WriteCheck {
  const byId = new Map(rows.map((row) => [row.id, row]));
  const acknowledged = outcomes.filter((outcome) => outcome.predictionId !== null);
  const lost = acknowledged.filter((outcome) => byId.get(outcome.predictionId!)?.caseId !== outcome.tag).length;
  const acknowledgedIds = new Set(acknowledged.map((outcome) => outcome.predictionId));
  const acknowledgedCases = new Set(acknowledged.map((outcome) => outcome.tag));
  const unacknowledged = rows.filter((row) => !acknowledgedIds.has(row.id));
  return {
    acknowledged: acknowledged.length,
    lost,
    unacknowledged: unacknowledged.length,
    duplicated: unacknowledged.filter((row) => row.caseId !== null && acknowledgedCases.has(row.caseId)).length,
  };
}

export interface AttemptLog {
  tag: string;
  status: number;
  /** The servers nginx tried, in order. */
  upstreams: string[];
}

export interface ErrorCount {
  /** Requests that failed, plus retried ones whose failed attempt was not a connection to the killed server. */
  errors: number;
  /** Requests whose last attempt was not answered 2xx. */
  failed: number;
  /** Requests answered after a retry. */
  retried: number;
  /** Of those, the ones whose every failed attempt had reached the killed server (nginx's log says which). */
  retriedFromKilled: number;
}

/** Errors as the scale-out bar counts them: a retry is excused only when the attempt it repeats died with the killed server. */
export function countErrors(outcomes: readonly Outcome[], nginxLog: readonly AttemptLog[], killedAddress: string | null): ErrorCount {
  const byTag = new Map(nginxLog.map((line) => [line.tag, line]));
  const ok = (status: number | null) => status !== null && status >= 200 && status < 300;
  const failed = outcomes.filter((outcome) => !ok(outcome.status)).length;
  const retried = outcomes.filter((outcome) => ok(outcome.status) && outcome.attempts.length > 1);
  const fromKilled = retried.filter((outcome) =>
    outcome.attempts.slice(0, -1).every((attempt) => {
      const line = byTag.get(attempt.tag);
      return killedAddress !== null && line !== undefined && (line.status === 502 || line.status === 504) && line.upstreams.at(-1) === killedAddress;
    }),
  ).length;
  return { errors: failed + retried.length - fromKilled, failed, retried: retried.length, retriedFromKilled: fromKilled };
}
