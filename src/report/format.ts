/** Numbers as the report prints them: "93.1%", "0.962", "—" for undefined, as in clinical papers. */
import { MISSING, type Estimate } from '../evaluate/index.ts';

export type NumberStyle = 'percent' | 'decimal';

export function formatNumber(value: number | null, style: NumberStyle): string {
  if (value === null || Number.isNaN(value)) return MISSING;
  return style === 'percent' ? `${(value * 100).toFixed(1)}%` : value.toFixed(3);
}

/** The 95% interval without units, "89.0–96.0", with "*" for a Wilson interval; "—" when undefined. */
export function formatInterval(estimate: Estimate, style: NumberStyle): string {
  const [lower, upper] = estimate.ci95;
  if (estimate.value === null || lower === null || upper === null) return MISSING;
  const number = (x: number) => (style === 'percent' ? (x * 100).toFixed(1) : x.toFixed(3));
  return `${number(lower)}–${number(upper)}${estimate.ciMethod === 'wilson' ? '*' : ''}`;
}

/** "1,234" */
export function formatCount(count: number): string {
  return count.toLocaleString('en-US');
}

/** "2024-05-01 14:03 UTC" from an ISO timestamp. */
export function formatTimestamp(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
