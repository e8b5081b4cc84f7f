import { describe, expect, it } from 'vitest';
import { combineFields, type FieldDecision } from '../../src/fields/index.ts';

const OPTIONS = { backgroundClass: 'none', mixedClass: 'mixed' };

function field(probabilities: number[], morphotypes: [string, number][], multiple = morphotypes.length >= 2): FieldDecision {
  const label = multiple ? 'mixed' : (morphotypes[0]?.[0] ?? 'none');
  const counts = morphotypes.map(([label, tileCount]) => ({ label, tileCount, confidentTiles: tileCount }));
  const findings = morphotypes.map(([label]) => ({ label, members: [label] }));
  return { label, probability: 0.5, probabilities, findings, morphotypes: counts, multiple, refer: false, tileCounts: [], evidenceShare: findings.length > 0 ? 1 : null };
}

/** A field whose morphotypes of one group were not told apart. */
function groupField(group: string, morphotypes: [string, number][]): FieldDecision {
  const members = morphotypes.map(([label]) => label);
  return { ...field([0, 0.9, 0.1, 0], morphotypes, false), label: group, findings: [{ label: group, members }] };
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

  it('reads a group as the one member other fields found on its own, and keeps it a group otherwise', () => {
    const unclear = groupField('Gram-negative', [
      ['gnr', 10],
      ['gnc', 8],
    ]);
    const rods = field([0, 0.9, 0.1, 0], [['gnr', 12]]);
    expect(combineFields([unclear, rods], OPTIONS)).toMatchObject({ label: 'gnr', multiple: false, morphotypes: [{ label: 'gnr', fieldCount: 2, tileCount: 22 }] });
    const twice = combineFields([unclear, unclear], OPTIONS);
    expect(twice).toMatchObject({ label: 'Gram-negative', multiple: false });
    expect(twice.morphotypes.map((m) => m.label)).toEqual(['gnr', 'gnc']);
    expect(combineFields([unclear, field([0.9, 0, 0.1, 0], [['gpc', 6]])], OPTIONS)).toMatchObject({ label: 'mixed', multiple: true });
  });

  it('refuses no fields, mismatched widths and a bad minFields', () => {
    expect(() => combineFields([], OPTIONS)).toThrow('no fields');
    expect(() => combineFields([field([1, 0], []), field([1, 0, 0], [])], OPTIONS)).toThrow('same number');
    expect(() => combineFields([field([1, 0], [])], { ...OPTIONS, minFields: 0 })).toThrow('minFields');
  });
});
