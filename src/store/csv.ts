import { formatCsv, type CsvValue } from '../data/index.ts';

export interface CsvOptions {
  /**
   * Prefix text starting with = + - @ (or a tab / carriage return) with an apostrophe, so a
   * spreadsheet shows it as text instead of running it as a formula (CSV injection).
   */
  guardFormulas?: boolean;
}

const FORMULA_START = /^[=+\-@\t\r]/;

function guardFormula(value: CsvValue): CsvValue {
  return value !== null && FORMULA_START.test(String(value)) ? `'${value}` : value;
}

/** An export for spreadsheets: RFC 4180 CSV with CRLF line ends (the one CSV writer of src/data). */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[], options: CsvOptions = {}): string {
  const records = [header, ...rows];
  return formatCsv(options.guardFormulas ? records.map((row) => row.map(guardFormula)) : records, '\r\n');
}
