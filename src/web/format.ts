/** How numbers, times and agreement read on screen. */

export function percent(probability: number): string {
  if (probability > 0 && probability < 0.005) return '<1%';
  return `${Math.round(probability * 100)}%`;
}

export function dateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function kappa(value: number | null): string {
  return value === null ? 'undefined' : value.toFixed(2);
}

/** Landis & Koch's descriptive bands for kappa. */
export function kappaBand(value: number | null): string {
  if (value === null) return 'not enough shared labels';
  if (value < 0) return 'poor (worse than chance)';
  if (value <= 0.2) return 'slight';
  if (value <= 0.4) return 'fair';
  if (value <= 0.6) return 'moderate';
  if (value <= 0.8) return 'substantial';
  return 'almost perfect';
}

/** A short, readable rendering of a JSON value (metrics, run progress). */
export function jsonSummary(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(3);
  if (typeof value === 'string' || typeof value === 'boolean') return String(value);
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}

/** The scalar entries of a JSON object, e.g. metrics { accuracy: 0.91, auc: 0.97 }, for a key–value list. */
export function scalarEntries(value: unknown): [string, string][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.entries(value)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean')
    .map(([k, v]) => [k, jsonSummary(v)]);
}

/** "Sputum study · run 3" for a model trained here; a bundle registered by `gramlens serve` has its creation time as version. */
export function modelTitle(model: { name: string; version: string }): string {
  const run = /^run-(\d+)$/.exec(model.version);
  if (run) return `${model.name} · run ${run[1]}`;
  return `${model.name} · ${/^\d{4}-\d\d-\d\dT/.test(model.version) ? dateTime(model.version) : model.version}`;
}
