import { invalid } from './errors.ts';

const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/**
 * Checks a free-text field and returns it unchanged: stored and returned verbatim (quotes, SQL
 * fragments and markup included), only its length and control characters are limited.
 */
export function checkText(what: string, value: string, maxLength: number, { allowEmpty = false } = {}): string {
  if (typeof value !== 'string') throw invalid(`${what} must be a string`);
  if (!allowEmpty && value.trim() === '') throw invalid(`${what} must not be empty`);
  if (value.length > maxLength) throw invalid(`${what} is longer than ${maxLength} characters`);
  if (CONTROL_CHARACTERS.test(value)) throw invalid(`${what} contains control characters`);
  return value;
}

/** Optional free text: empty or missing becomes null. */
export function optionalText(what: string, value: string | null | undefined, maxLength: number): string | null {
  if (value === undefined || value === null || value === '') return null;
  return checkText(what, value, maxLength);
}
