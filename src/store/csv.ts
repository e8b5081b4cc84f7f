import { formatCsv, type CsvValue } from '../data/index.ts';

export interface CsvOptions {
  /**
   * Prefix text starting with = + - @ (or a tab / carriage return) with an apostrophe, so a
   * spreadsheet shows it as text instead of running it as a formula (CSV injection). Leading
   * spaces, line breaks and invisible characters do not hide the sign, nor do its fullwidth and
   * small forms (＝, ﹦, ＋, －, ＠), which spreadsheets read like the ASCII ones.
   */
  guardFormulas?: boolean;
}

const FORMULA_START = /^[\s\u200b-\u200d\u2060\ufeff]*[=+\-@]|^[\t\r]/u;

/** Whether a spreadsheet could take this text for a formula. */
export function looksLikeFormula(text: string): boolean {
  return FORMULA_START.test(text.normalize('NFKC'));
}

function guardFormula(value: CsvValue): CsvValue {
  return value !== null && looksLikeFormula(String(value)) ? `'${value}` : value;
}

/** An export for spreadsheets: RFC 4180 CSV with CRLF line ends (the one CSV writer of src/data). */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[], options: CsvOptions = {}): string {
  const records = [header, ...rows];
  return formatCsv(options.guardFormulas ? records.map((row) => row.map(guardFormula)) : records, '\r\n');
}
