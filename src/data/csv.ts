/** A parsed CSV record with the 1-based line it starts on, for error messages. */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/**
 * RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks; LF, CRLF and CR all
 * end a record; a leading UTF-8 BOM is ignored; blank lines are skipped.
 */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let inQuotes = false;
  let quoteLine = 0;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  const endRecord = (): void => {
    fields.push(field);
    const blank = fields.length === 1 && fields[0] === '';
    if (!blank) records.push({ fields, line: recordLine });
    fields = [];
    field = '';
  };

  for (; i < text.length; i++) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          inQuotes = false;
        }
      } else {
        if (ch === '\n' || (ch === '\r' && text[i + 1] !== '\n')) line++;
        field += ch;
      }
    } else if (ch === '"') {
      if (field !== '') throw new Error(`CSV line ${line}: a quote inside an unquoted field; quote the whole field`);
      inQuotes = true;
      quoteLine = line;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
    } else if (ch === '\r' || ch === '\n') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += ch;
    }
  }
  if (inQuotes) throw new Error(`CSV line ${quoteLine}: a quoted field is never closed`);
  if (field !== '' || fields.length > 0) endRecord();
  return records;
}

/** A value of a CSV field: numbers and booleans as String() writes them, null as an empty field. */
export type CsvValue = string | number | boolean | null;

/**
 * One field, quoted (inner quotes doubled) only when it holds a comma, a quote or a line break or
 * starts or ends with white space, which a reader might otherwise trim.
 */
export function csvField(value: CsvValue): string {
  const text = value === null ? '' : String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One record, without its line end. */
export function csvRow(values: readonly CsvValue[]): string {
  return values.map(csvField).join(',');
}

/** Records to CSV text, each ended by lineEnd (LF by default; CRLF for spreadsheets, as RFC 4180 has it). */
export function formatCsv(rows: readonly (readonly CsvValue[])[], lineEnd: '\n' | '\r\n' = '\n'): string {
  return rows.map(csvRow).join(lineEnd) + lineEnd;
}
