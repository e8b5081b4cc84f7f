/**
 * HTML built from tagged templates that escape every interpolated value unless it is already
 * SafeHtml, so user text (class names, file names, config values) can never become markup.
 */

/** Markup produced by `html` (or trusted generated text passed through `trustedHtml`). */
export class SafeHtml {
  constructor(readonly value: string) {}
}

/** null, undefined and false render as nothing, so optional parts can be written inline. */
export type HtmlValue = SafeHtml | string | number | null | undefined | false | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe in element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character]);
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0];
  values.forEach((value, i) => {
    out += renderValue(value) + strings[i + 1];
  });
  return new SafeHtml(out);
}

/** Wraps text the caller guarantees contains no user input (generated CSS, fixed markup). */
export function trustedHtml(text: string): SafeHtml {
  return new SafeHtml(text);
}

function renderValue(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(renderValue).join('');
  return escapeHtml(String(value));
}

/**
 * Escaped text that may wrap after "_", "-", "/" or ".", so names like "gpc_diplococci" break
 * between words in a narrow column instead of mid-word (or not at all).
 */
export function breakableText(text: string): SafeHtml {
  return new SafeHtml(escapeHtml(text).replace(/[_\-/.]/g, '$&<wbr>'));
}
