import { describe, expect, it } from 'vitest';
import { combineFields, type FieldDecision } from '../../src/fields/index.ts';

const OPTIONS = { backgroundClass: 'none', mixedClass: 'mixed' };

function field(probabilities: number[], morphotypes: [string, number][], multiple = morphotypes.length >= 2): FieldDecision {
  const label = multiple ? 'mixed' : (morphotypes[0]?.[0] ?? 'none');
  return { label, probabilities, morphotypes: morphotypes.map(([label, tileCount]) => ({ label, tileCount })), multiple };
}

describe('combineFields', () => {
  it('names the one morphotype seen, averaging only the fields with organisms', () => {
    const specimen = combineFields([field([0.8, 0.1, 0.1, 0], [['gpc', 5]]), field([0.6, 0.2, 0.2, 0], [['gpc', 3]]), field([0, 0, 1, 0], [])], OPTIONS);
    expect(specimen.label).toBe('gpc');
    expect(specimen.multiple).toBe(false);
    expect(specimen.fields).toBe(3);
    expect(specimen.morphotypes).toEqual([{ label: 'gpc', fieldCount: 2, tileCount: 8 }]);
    specimen.probabilities.forEach((p, c) => expect(p).toBeCloseTo([0.7, 0.15, 0.15, 0][c], 12));
  });

  it('calls a specimen mixed when two morphotypes sit in different fields', () => {
    const specimen = combineFields([field([0.9, 0, 0.1, 0], [['gpc', 4]]), field([0, 0.9, 0.1, 0], [['gnr', 6]])], OPTIONS);
    expect(specimen.label).toBe('mixed');
    expect(specimen.multiple).toBe(true);
    expect(specimen.morphotypes.map((m) => m.label)).toEqual(['gnr', 'gpc']);
  });

  it('keeps a field that is mixed on its own (mixed tiles) mixed', () => {
    expect(combineFields([field([0.2, 0.2, 0.1, 0.5], [['gpc', 2]], true)], OPTIONS).label).toBe('mixed');
  });

  it('needs minFields fields for a morphotype to count', () => {
    const fields = [field([0.9, 0, 0.1, 0], [['gpc', 4]]), field([0.9, 0, 0.1, 0], [['gpc', 2]]), field([0, 0.9, 0.1, 0], [['gnr', 1]])];
    const specimen = combineFields(fields, { ...OPTIONS, minFields: 2 });
    expect(specimen.label).toBe('gpc');
    expect(specimen.morphotypes).toEqual([{ label: 'gpc', fieldCount: 2, tileCount: 6 }]);
  });

  it('answers the background class when no field shows organisms, with the mean of all fields', () => {
    const specimen = combineFields([field([0.1, 0, 0.9, 0], []), field([0.3, 0, 0.7, 0], [])], OPTIONS);
    expect(specimen.label).toBe('none');
    specimen.probabilities.forEach((p, c) => expect(p).toBeCloseTo([0.2, 0, 0.8, 0][c], 12));
  });

  it('falls back to the top morphotype without a mixed class', () => {
    const specimen = combineFields([field([0.9, 0, 0.1, 0], [['gpc', 4]]), field([0, 0.9, 0.1, 0], [['gnr', 6]])], { backgroundClass: 'none' });
    expect(specimen).toMatchObject({ label: 'gnr', multiple: true });
  });

  it('refuses no fields, mismatched widths and a bad minFields', () => {
    expect(() => combineFields([], OPTIONS)).toThrow('no fields');
    expect(() => combineFields([field([1, 0], []), field([1, 0, 0], [])], OPTIONS)).toThrow('same number');
    expect(() => combineFields([field([1, 0], [])], { ...OPTIONS, minFields: 0 })).toThrow('minFields');
  });
});
