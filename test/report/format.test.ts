import { describe, expect, it } from 'vitest';
import { formatInterval, formatNumber, formatTimestamp } from '../../src/report/format.ts';
import { formatRowShare } from '../../src/report/tables.ts';

describe('formatNumber', () => {
  it('prints percentages, decimals and "—" for undefined', () => {
    expect(formatNumber(0.9314, 'percent')).toBe('93.1%');
    expect(formatNumber(0.96249, 'decimal')).toBe('0.962');
    expect(formatNumber(null, 'percent')).toBe('—');
    expect(formatNumber(Number.NaN, 'decimal')).toBe('—');
  });
});

describe('formatInterval', () => {
  it('prints the bounds, marks Wilson intervals and handles missing bounds', () => {
    expect(formatInterval({ value: 0.93, ci95: [0.89, 0.96], ciMethod: 'bootstrap' }, 'percent')).toBe('89.0–96.0');
    expect(formatInterval({ value: 1, ci95: [0.969, 1], ciMethod: 'wilson' }, 'decimal')).toBe('0.969–1.000*');
    expect(formatInterval({ value: 0.5, ci95: [null, 0.7], ciMethod: 'bootstrap' }, 'percent')).toBe('—');
  });
});

describe('formatRowShare', () => {
  it('never rounds a few errors to 0% or 100%, and marks an empty row', () => {
    expect(formatRowShare(93, 100)).toBe('93%');
    expect(formatRowShare(1, 1000)).toBe('<1%');
    expect(formatRowShare(0, 1000)).toBe('0%');
    expect(formatRowShare(999, 1000)).toBe('>99%');
    expect(formatRowShare(1000, 1000)).toBe('100%');
    expect(formatRowShare(0, 0)).toBe('—');
  });
});

describe('formatTimestamp', () => {
  it('shows minutes in UTC', () => {
    expect(formatTimestamp('2025-03-01T09:30:59.123Z')).toBe('2025-03-01 09:30 UTC');
  });
});
