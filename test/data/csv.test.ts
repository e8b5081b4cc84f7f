import { describe, expect, it } from 'vitest';
import { csvField, csvRow, formatCsv, parseCsv } from '../../src/data/index.ts';

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

  it('round-trips awkward values with either line end', () => {
    const awkward = [
      ['comma, inside', 'a "quoted" word', '"', '""', ','],
      ['line\nbreak', 'crlf\r\nbreak', 'lone\rreturn', '\n', ''],
      [' leading', 'trailing ', '\ttab', 'tab\t', '  '],
      ['µm', 'Gram-négatif', '球菌', '🦠 cocci', 'zero\u200bwidth'],
      ['=1+1', "'quoted'", 'x"y', 'end,', '\uFEFFbom'],
    ];
    for (const lineEnd of ['\n', '\r\n'] as const) {
      const text = formatCsv(awkward, lineEnd);
      expect(fields(text)).toEqual(awkward);
      expect(text.endsWith(lineEnd)).toBe(true);
    }
  });

  it('writes numbers, booleans and null as plain fields, and plain text unquoted', () => {
    expect(csvRow(['tiles/gpr/t0000001.png', 'gpr', 'p00001', 0.25, -3, true, null])).toBe('tiles/gpr/t0000001.png,gpr,p00001,0.25,-3,true,');
    expect(csvField('inner space')).toBe('inner space');
    expect(csvField(' ')).toBe('" "');
    expect(formatCsv([['a', 'b'], ['1', '2']], '\r\n')).toBe('a,b\r\n1,2\r\n');
  });
});
