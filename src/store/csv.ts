export type CsvValue = string | number | boolean | null;

export interface CsvOptions {
  /**
   * Prefix text starting with = + - @ (or a tab / carriage return) with an apostrophe, so a
   * spreadsheet shows it as text instead of running it as a formula (CSV injection).
   */
  guardFormulas?: boolean;
}

const FORMULA_START = /^[=+\-@\t\r]/;

function formatField(value: CsvValue, options: CsvOptions): string {
  let text = value === null ? '' : String(value);
  if (options.guardFormulas && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV with CRLF line ends: fields with commas, quotes, line breaks or edge spaces are quoted. */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[], options: CsvOptions = {}): string {
  return [header, ...rows].map((row) => row.map((value) => formatField(value, options)).join(',') + '\r\n').join('');
}
