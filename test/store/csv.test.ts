import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/data/index.ts';
import { toCsv } from '../../src/store/index.ts';

const exported = (value: string) => parseCsv(toCsv(['value'], [[value]], { guardFormulas: true }))[1].fields[0];

describe('CSV exports for spreadsheets', () => {
  it.each(['=1+1', '+1', '-1', '@SUM(A1)', '\t=1', '\r=1', ' =1+1', '\n=1+1', '\r\n @x', '\u00a0=1', '\u200b=1+1', '＝1+1', '﹦1+1', '＋1', '－1', '＠SUM(A1)', ' ＝1'])(
    'defuses %j as text',
    (value) => expect(exported(value)).toBe(`'${value}`),
  );

  it.each(['1+1', 'a=1', 'Gram-negative rods', 'naïve', '1-2', "'=already text"])('leaves %j as it is', (value) => expect(exported(value)).toBe(value));

  it('writes values verbatim without the guard', async () => {
    expect(parseCsv(toCsv(['value'], [[' =1+1']]))[1].fields[0]).toBe(' =1+1');
  });
});
