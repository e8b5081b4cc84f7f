import { jsonSummary, scalarEntries } from '../../format.ts';

type Json = Record<string, unknown>;

const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

function asObject(value: unknown): Json | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : null;
}

/**
 * How far a run has got, 0..1, when its progress says so: the trainer reports
 * { kind: 'step', epoch, epochs, step, stepsPerEpoch } (epoch counted from 0) and
 * { kind: 'epoch', record: { epoch }, epochs } after each epoch; scoring and re-explanation jobs
 * report { done, total } items; { fraction } is read as is.
 */
export function progressFraction(progress: unknown): number | null {
  const p = asObject(progress);
  if (!p) return null;
  const clamp = (x: number) => Math.max(0, Math.min(1, x));
  const fraction = num(p.fraction);
  if (fraction !== null) return clamp(fraction);
  const total = num(p.total);
  const done = num(p.done);
  if (total !== null && done !== null) return total === 0 ? 1 : clamp(done / total);
  const epochs = num(p.epochs);
  if (!epochs) return null;
  const recordEpoch = num(asObject(p.record)?.epoch);
  if (p.kind === 'epoch' && recordEpoch !== null) return clamp((recordEpoch + 1) / epochs);
  const epoch = num(p.epoch);
  if (epoch === null) return null;
  const step = num(p.step);
  const stepsPerEpoch = num(p.stepsPerEpoch);
  return clamp((epoch + (step !== null && stepsPerEpoch ? step / stepsPerEpoch : 0)) / epochs);
}

/** A line such as "epoch 2 of 5 · step 30 of 120 · about 3 min left", or a job's "12 of 40". */
export function progressLine(progress: unknown): string {
  const p = asObject(progress);
  if (!p) return progress === null || progress === undefined ? 'waiting for the first report' : jsonSummary(progress);
  const parts: string[] = [];
  const done = num(p.done);
  const total = num(p.total);
  if (done !== null && total !== null) parts.push(`${done} of ${total}`);
  const epochs = num(p.epochs);
  const epoch = num(p.kind === 'epoch' ? asObject(p.record)?.epoch : p.epoch);
  if (epoch !== null) parts.push(epochs ? `epoch ${epoch + 1} of ${epochs}` : `epoch ${epoch + 1}`);
  const step = num(p.step);
  const stepsPerEpoch = num(p.stepsPerEpoch);
  if (step !== null && stepsPerEpoch) parts.push(`step ${step} of ${stepsPerEpoch}`);
  const eta = num(p.etaSeconds);
  if (eta !== null) parts.push(eta < 90 ? `about ${Math.ceil(eta)} s left` : `about ${Math.round(eta / 60)} min left`);
  return parts.join(' · ');
}

/** The measured values of the progress report (loss, accuracy, …), the epoch record's included. */
export function progressValues(progress: unknown): [string, string][] {
  const p = asObject(progress);
  if (!p) return [];
  const skip = new Set(['kind', 'epoch', 'epochs', 'step', 'stepsPerEpoch', 'etaSeconds', 'fraction', 'done', 'total']);
  return [...scalarEntries(p), ...scalarEntries(p.record)].filter(([key]) => !skip.has(key));
}
