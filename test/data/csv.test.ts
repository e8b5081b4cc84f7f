import { describe, expect, it } from 'vitest';
import { formatCsv, parseCsv } from '../../src/data/index.ts';

const fields = (text: string): string[][] => parseCsv(text).map((r) => r.fields);

describe('parseCsv', () => {
  it('splits plain records and skips blank lines', () => {
    expect(fields('a,b,c\n1,2,3\n\n4,5,6\n')).toEqual([
      ['a', 'b', 'c'],
      ['1', '2', '3'],
      ['4', '5', '6'],
    ]);
  });

  it('handles quotes, commas and line breaks inside quotes, doubled quotes, CRLF and a BOM', () => {
    const text = '\uFEFFpath,note\r\n"a,b.png","say ""hi"""\r\n"multi\r\nline",x\r\nlast,';
    const records = parseCsv(text);
    expect(records.map((r) => r.fields)).toEqual([
      ['path', 'note'],
      ['a,b.png', 'say "hi"'],
      ['multi\r\nline', 'x'],
      ['last', ''],
    ]);
    expect(records.map((r) => r.line)).toEqual([1, 2, 3, 5]);
  });

  it('accepts a bare CR as a line end', () => {
    expect(fields('a,b\r1,2')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('reports an unclosed quote with its line', () => {
    expect(() => parseCsv('a,b\n1,"open\n2,3\n')).toThrow('CSV line 2: a quoted field is never closed');
  });

  it('refuses a stray quote inside an unquoted field', () => {
    expect(() => parseCsv('a,b\nx"y,1\n')).toThrow(/line 2/);
  });
});

describe('formatCsv', () => {
  it('quotes only where needed and round-trips through parseCsv', () => {
    const rows = [
      ['path', 'label'],
      ['a,b.png', 'say "x"'],
      ['plain', ' padded '],
    ];
    const text = formatCsv(rows);
    expect(text).toBe('path,label\n"a,b.png","say ""x"""\nplain," padded "\n');
    expect(fields(text)).toEqual(rows);
  });
});
