import { describe, expect, it } from 'vitest';
import { DEFAULT_FIELD_DECISION, decideField, fitFieldDecision, scoreFieldDecision, scoredClass } from '../../src/fields/index.ts';

const classes = ['gpc_clusters', 'gpc_chains', 'gpc_diplococci', 'gpr', 'gnr', 'gnc', 'yeast', 'no_bacteria', 'polymicrobial'];
const groups = [
  { name: 'GPC', members: ['gpc_clusters', 'gpc_chains', 'gpc_diplococci'] },
  { name: 'Gram-negative', members: ['gnr', 'gnc'] },
];
const rule = { classes, backgroundClass: 'no_bacteria', mixedClass: 'polymicrobial', ...DEFAULT_FIELD_DECISION, groups };
/** A tile with the given probabilities, the rest on no_bacteria. */
const tile = (shares: Record<string, number>): number[] => {
  const rest = 1 - Object.values(shares).reduce((sum, p) => sum + p, 0);
  return classes.map((c) => shares[c] ?? (c === 'no_bacteria' ? rest : 0));
};
const times = (row: number[], n: number): number[][] => Array.from({ length: n }, () => row);
const emptyGlass = times(tile({ no_bacteria: 0.95, gnr: 0.05 }), 100);

describe('decideField with Gram groups as evidence', () => {
  it('a sparse photo of rods, 30 GNC and 23 GNR tiles none confident alone, is Gram-negative, not "no organisms"', () => {
    const cocciLike = times(tile({ gnc: 0.5, gnr: 0.35 }), 30);
    const rods = times(tile({ gnr: 0.55, gnc: 0.3 }), 23);
    const decision = decideField([...emptyGlass, ...cocciLike, ...rods], rule);
    expect(decision).toMatchObject({ label: 'Gram-negative', multiple: false, refer: false, findings: [{ label: 'Gram-negative', members: ['gnr', 'gnc'] }] });
    expect(decision.morphotypes).toEqual([
      { label: 'gnc', tileCount: 30, confidentTiles: 0 },
      { label: 'gnr', tileCount: 23, confidentTiles: 0 },
    ]);
    expect(decision.probability).toBeCloseTo(decision.probabilities[4] + decision.probabilities[5], 12);
    expect(scoredClass(decision, 'gnr', classes)).toBe(4);
  });

  it('names the group with the one member whose tiles it saw, and scores it as that member', () => {
    const decision = decideField([...emptyGlass, ...times(tile({ gnr: 0.6, gnc: 0.3 }), 12)], rule);
    expect(decision).toMatchObject({ label: 'Gram-negative', findings: [{ label: 'Gram-negative', members: ['gnr'] }], refer: false });
    expect(scoredClass(decision, 'gnr', classes)).toBe(4);
    expect(scoredClass(decision, 'gnc', classes)).toBe(4);
  });

  it('needs the same tile count and share for a group as for a morphotype', () => {
    const twoTiles = decideField([...emptyGlass, ...times(tile({ gnr: 0.6, gnc: 0.3 }), 2)], rule);
    expect(twoTiles.findings).toEqual([]);
    const strong = times(tile({ gpr: 0.95 }), 40);
    const fewGramNegative = times(tile({ gnr: 0.6, gnc: 0.3 }), 3);
    expect(decideField([...strong, ...fewGramNegative], rule)).toMatchObject({ label: 'gpr', multiple: false });
  });

  it('adds a group found on its summed tiles to a morphotype of another group: several', () => {
    const decision = decideField([...emptyGlass, ...times(tile({ gpr: 0.95 }), 20), ...times(tile({ gnr: 0.5, gnc: 0.4 }), 20)], rule);
    expect(decision).toMatchObject({ label: 'polymicrobial', multiple: true });
    expect(decision.findings.map((f) => f.label).sort()).toEqual(['Gram-negative', 'gpr']);
  });

  it('refers a field whose many tiles show organisms without evidence for any class or group', () => {
    // Organisms at 0.9 on each tile, split across groups: no class, no group reaches 0.7.
    const puzzling = tile({ gpr: 0.4, gnr: 0.3, yeast: 0.2 });
    const decision = decideField([...emptyGlass, ...times(puzzling, 20)], rule);
    expect(decision).toMatchObject({ label: 'no_bacteria', findings: [], multiple: false, refer: true });
    expect(decideField([...emptyGlass, ...times(puzzling, 2)], rule).refer).toBe(false);
    expect(decideField([...emptyGlass, ...times(puzzling, 20)], { ...rule, referTiles: 21 }).refer).toBe(false);
    expect(decideField(emptyGlass, rule).refer).toBe(false);
    expect(decideField([...emptyGlass, ...times(tile({ gpr: 0.95 }), 20)], rule)).toMatchObject({ label: 'gpr', refer: false });
    expect(() => decideField(emptyGlass, { ...rule, referTiles: 0 })).toThrow(/referTiles/);
  });
});

describe('fitting the refer count', () => {
  const small = ['cocci', 'rods', 'empty', 'mixed'];
  const search = { classes: small, backgroundClass: 'empty', mixedClass: 'mixed', presenceThresholds: [0.8], minTiles: [2], minShares: [0] };
  const cocci = [0.9, 0.05, 0.03, 0.02];
  const empty = [0.01, 0.01, 0.97, 0.01];
  /** Organisms at 0.9, no class at 0.8. */
  const unsure = [0.45, 0.45, 0.1, 0.0];
  const withUnsure = (n: number): { label: string; tileProbabilities: number[][] } => ({ label: 'empty', tileProbabilities: [...times(empty, 10), ...times(unsure, n)] });
  // Ten empty fields with 0 ... 0, 1, 3 and 6 unsure tiles, and a cocci field with 5 of them.
  const fields = [
    ...[0, 0, 0, 0, 0, 0, 0, 1, 3, 6].map(withUnsure),
    { label: 'cocci', tileProbabilities: [...times(cocci, 6), ...times(unsure, 5), ...times(empty, 3)] },
  ];

  it('refers as many fields as the share of empty fields it may send away allows, never below minTiles', () => {
    expect(fitFieldDecision(fields, { ...search, maxEmptyReferred: 0 })).toMatchObject({ params: { referTiles: 7 }, emptyReferred: 0 });
    expect(fitFieldDecision(fields, { ...search, maxEmptyReferred: 0.1 })).toMatchObject({ params: { referTiles: 4 }, emptyReferred: 0.1 });
    expect(fitFieldDecision(fields, { ...search, maxEmptyReferred: 0.2 })).toMatchObject({ params: { referTiles: 2 }, emptyReferred: 0.2 });
    expect(fitFieldDecision(fields, { ...search, maxEmptyReferred: 0.5 })).toMatchObject({ params: { referTiles: 2 }, emptyReferred: 0.2 });
    expect(fitFieldDecision(fields, search).params.referTiles).toBe(7);
  });

  it('scores the share of empty fields referred, and a referred field as its label', () => {
    const score = scoreFieldDecision(fields, { presenceThreshold: 0.8, minTiles: 2, referTiles: 1 }, search);
    expect(score.emptyReferred).toBeCloseTo(0.3, 12);
    expect(score.macroF1).toBe(scoreFieldDecision(fields, { presenceThreshold: 0.8, minTiles: 2, referTiles: 100 }, search).macroF1);
  });
});
