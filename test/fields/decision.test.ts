import { describe, expect, it } from 'vitest';
import { DEFAULT_FIELD_DECISION, decideField, fitFieldDecision, groupsFromTree, scoreFieldDecision } from '../../src/fields/index.ts';

describe('decideField', () => {
  const classes = ['cocci', 'rods', 'empty', 'mixed'];
  const base = { classes, backgroundClass: 'empty', mixedClass: 'mixed', presenceThreshold: 0.6, minTiles: 2 };
  const cocci = [0.9, 0.05, 0.03, 0.02];
  const rods = [0.05, 0.85, 0.05, 0.05];
  const empty = [0.01, 0.01, 0.97, 0.01];
  const mixedTile = [0.2, 0.1, 0.0, 0.7];
  const unsure = [0.45, 0.4, 0.1, 0.05];
  const times = (row: number[], n: number): number[][] => Array.from({ length: n }, () => row);

  it('labels a field of one morphotype with it, and counts every class by its tiles', () => {
    const decision = decideField([cocci, cocci, cocci, empty, empty, rods], base);
    expect(decision).toMatchObject({ label: 'cocci', multiple: false, findings: [{ label: 'cocci', members: ['cocci'] }] });
    expect(decision.morphotypes).toEqual([{ label: 'cocci', tileCount: 3, confidentTiles: 3 }]);
    expect(decision.tileCounts).toEqual([
      { label: 'cocci', tiles: 3, confidentTiles: 3 },
      { label: 'empty', tiles: 2, confidentTiles: 2 },
      { label: 'rods', tiles: 1, confidentTiles: 1 },
    ]);
    expect(decision.probabilities.indexOf(Math.max(...decision.probabilities))).toBe(0);
    expect(decision.probability).toBe(decision.probabilities[0]);
  });

  it('gives a morphotype the same tile count as the tile counts: all tiles whose most likely class it is, confident or not', () => {
    const weakCocci = [0.55, 0.3, 0.1, 0.05];
    const decision = decideField([cocci, cocci, weakCocci, weakCocci, empty], base);
    expect(decision.morphotypes).toEqual([{ label: 'cocci', tileCount: 4, confidentTiles: 2 }]);
    expect(decision.tileCounts.find((count) => count.label === 'cocci')).toEqual({ label: 'cocci', tiles: 4, confidentTiles: 2 });
  });

  it('leaves tiles that are not counted out of the counts, not out of the probabilities', () => {
    const decision = decideField([cocci, cocci, empty, empty, empty], { ...base, counted: [true, true, true, false, false] });
    expect(decision.tileCounts).toEqual([
      { label: 'cocci', tiles: 2, confidentTiles: 2 },
      { label: 'empty', tiles: 1, confidentTiles: 1 },
    ]);
    expect(decision.label).toBe('cocci');
    expect(() => decideField([cocci, cocci], { ...base, counted: [true] })).toThrow(/counted flags/);
  });

  it('labels an empty field, or one with only stray or unsure tiles, with the background class', () => {
    expect(decideField([empty, empty, empty], base)).toMatchObject({ label: 'empty', findings: [], morphotypes: [], multiple: false });
    expect(decideField([empty, cocci, empty, unsure, unsure], base)).toMatchObject({ label: 'empty', morphotypes: [], multiple: false });
  });

  it('calls two present morphotypes mixed, most widespread first', () => {
    const decision = decideField([rods, cocci, rods, cocci, rods, empty], base);
    expect(decision).toMatchObject({ label: 'mixed', multiple: true });
    expect(decision.morphotypes.map((m) => [m.label, m.tileCount])).toEqual([
      ['rods', 3],
      ['cocci', 2],
    ]);
    expect(decision.findings.map((f) => f.label)).toEqual(['rods', 'cocci']);
  });

  it('calls a field mixed when enough tiles are themselves mixed', () => {
    expect(decideField([cocci, cocci, mixedTile, mixedTile], base)).toMatchObject({ label: 'mixed', multiple: true, morphotypes: [{ label: 'cocci', tileCount: 2 }] });
    expect(decideField([cocci, cocci, mixedTile], base)).toMatchObject({ label: 'cocci', multiple: false });
  });

  it('answers with the most widespread morphotype when there is no mixed class', () => {
    expect(decideField([rods, cocci, rods, cocci, rods], { ...base, mixedClass: undefined })).toMatchObject({ label: 'rods', multiple: true });
  });

  it('counts presence at the threshold and minTiles edges', () => {
    const atThreshold = [0.6, 0.2, 0.1, 0.1];
    const below = [0.59, 0.21, 0.1, 0.1];
    expect(decideField([atThreshold, atThreshold], base).label).toBe('cocci');
    expect(decideField([atThreshold, below], base).label).toBe('empty');
    expect(decideField([atThreshold, below], { ...base, minTiles: 1 }).label).toBe('cocci');
    expect(decideField([cocci, cocci, rods], { ...base, minTiles: 1 }).label).toBe('mixed');
    expect(decideField([cocci, cocci, rods], { ...base, minTiles: 3 }).label).toBe('empty');
  });

  it('needs a least share of the organism tiles, whatever the empty glass around them', () => {
    const withShare = { ...base, minShare: 0.25 };
    // 3 cocci of 12 organism tiles reach a quarter; of 13 they do not.
    expect(decideField([...times(rods, 9), ...times(cocci, 3), ...times(empty, 50)], withShare).label).toBe('mixed');
    expect(decideField([...times(rods, 10), ...times(cocci, 3), ...times(empty, 50)], withShare).label).toBe('rods');
    expect(decideField([...times(rods, 10), ...times(cocci, 3)], base).label).toBe('mixed');
  });

  it('rejects rules and classes that do not fit', () => {
    expect(() => decideField([cocci], { ...base, backgroundClass: 'glass' })).toThrow(/backgroundClass "glass"/);
    expect(() => decideField([cocci], { ...base, mixedClass: 'poly' })).toThrow(/mixedClass "poly"/);
    expect(() => decideField([[0.5, 0.5]], base)).toThrow(/expected 4 probabilities/);
    expect(() => decideField([cocci], { ...base, minTiles: 0 })).toThrow(/minTiles/);
    expect(() => decideField([cocci], { ...base, minShare: 1.5 })).toThrow(/minShare/);
    expect(() => decideField([cocci], { ...base, groups: [{ name: 'rods', members: ['cocci', 'mixed'] }] })).toThrow(/name of a class/);
    expect(() => decideField([cocci], { ...base, groups: [{ name: 'all', members: ['cocci', 'empty'] }] })).toThrow(/background class/);
    expect(() => decideField([cocci], { ...base, groups: [{ name: 'a', members: ['cocci', 'rods'] }, { name: 'b', members: ['rods', 'cocci'] }] })).toThrow(/two groups/);
    expect(() => decideField([cocci], { ...base, groups: [{ name: 'a', members: ['cocci'] }] })).toThrow(/at least two/);
  });
});

describe('decideField on Gram-stain fields, with the confusable groups', () => {
  const classes = ['gpc_clusters', 'gpc_chains', 'gpc_diplococci', 'gpr', 'gnr', 'gnc', 'yeast', 'no_bacteria', 'polymicrobial'];
  const groups = [
    { name: 'GPC', members: ['gpc_clusters', 'gpc_chains', 'gpc_diplococci'] },
    { name: 'Gram-negative', members: ['gnr', 'gnc'] },
  ];
  const setting = { classes, backgroundClass: 'no_bacteria', mixedClass: 'polymicrobial' };
  /** The version before fitted evidence: 2 tiles at 0.7, no share, no groups. */
  const oldRule = { ...setting, presenceThreshold: 0.7, minTiles: 2 };
  const newRule = { ...setting, ...DEFAULT_FIELD_DECISION, groups };
  const tile = (top: string, p: number, second = 'no_bacteria'): number[] => classes.map((c) => (c === top ? p : c === second ? 1 - p : 0));
  const times = (row: number[], n: number): number[][] => Array.from({ length: n }, () => row);

  it('a clinical photo of rods: 4 GNC and 2 GNR tiles among 155, 131 of them empty, are not several morphotypes', () => {
    const tiles = [...times(tile('no_bacteria', 1), 131), ...times(tile('no_bacteria', 0.6, 'gnr'), 18), ...times(tile('gnc', 0.8, 'gnr'), 4), ...times(tile('gnr', 0.75, 'gnc'), 2)];
    const counted = tiles.map((_, i) => i >= 131);
    expect(decideField(tiles, { ...oldRule, counted })).toMatchObject({ label: 'polymicrobial', multiple: true });
    const decision = decideField(tiles, { ...newRule, counted });
    expect(decision.multiple).toBe(false);
    expect(decision.label).not.toBe('polymicrobial');
    expect(decision.tileCounts.map((count) => [count.label, count.tiles])).toEqual([
      ['no_bacteria', 18],
      ['gnc', 4],
      ['gnr', 2],
    ]);
  });

  it('a reference photo of rods read as 46 GNR and 37 GNC tiles is Gram-negative, not polymicrobial', () => {
    const tiles = [...times(tile('gnr', 0.8, 'gnc'), 46), ...times(tile('gnc', 0.75, 'gnr'), 37), ...times(tile('no_bacteria', 0.9), 40)];
    expect(decideField(tiles, oldRule)).toMatchObject({ label: 'polymicrobial', multiple: true });
    const decision = decideField(tiles, newRule);
    expect(decision).toMatchObject({ label: 'Gram-negative', multiple: false, findings: [{ label: 'Gram-negative', members: ['gnr', 'gnc'] }] });
    expect(decision.morphotypes).toEqual([
      { label: 'gnr', tileCount: 46, confidentTiles: 46 },
      { label: 'gnc', tileCount: 37, confidentTiles: 37 },
    ]);
    expect(decision.probability).toBeCloseTo(decision.probabilities[4] + decision.probabilities[5], 12);
  });

  it('answers the one morphotype of a group with strong evidence, and both when each has it', () => {
    const strongRods = times(tile('gnr', 0.97, 'gnc'), 46);
    const unsureCocci = times(tile('gnc', 0.75, 'gnr'), 37);
    expect(decideField([...strongRods, ...unsureCocci], newRule)).toMatchObject({ label: 'gnr', multiple: false, morphotypes: [{ label: 'gnr', tileCount: 46 }] });
    const clusters = times(tile('gpc_clusters', 0.95, 'gpc_chains'), 20);
    const chains = times(tile('gpc_chains', 0.93, 'gpc_clusters'), 15);
    expect(decideField([...clusters, ...chains], newRule)).toMatchObject({ label: 'polymicrobial', multiple: true });
    expect(decideField([...clusters, ...chains], { ...newRule, groupThreshold: 0.95 })).toMatchObject({ label: 'gpc_clusters', multiple: false });
  });

  it('still calls morphotypes of different groups with enough evidence polymicrobial', () => {
    const tiles = [...times(tile('gnr', 0.8), 30), ...times(tile('gpc_clusters', 0.8), 12), ...times(tile('no_bacteria', 0.9), 60)];
    expect(decideField(tiles, newRule)).toMatchObject({ label: 'polymicrobial', multiple: true });
  });

  it('takes the groups of two or more classes from a label tree', () => {
    const tree = [
      { name: 'GPC', children: [{ name: 'gpc_clusters' }, { name: 'gpc_chains' }, { name: 'gpc_diplococci' }] },
      { name: 'GNR', children: [{ name: 'gnr' }] },
      { name: 'Gram-negative cocci and rods', children: [{ name: 'GNC', children: [{ name: 'gnc' }] }, { name: 'yeast' }] },
      { name: 'other', children: [{ name: 'no_bacteria' }, { name: 'polymicrobial' }] },
    ];
    expect(groupsFromTree(tree, classes, ['no_bacteria', 'polymicrobial'])).toEqual([groups[0]]);
    expect(groupsFromTree(undefined, classes)).toEqual([]);
  });
});

describe('fitFieldDecision', () => {
  const classes = ['cocci', 'rods', 'empty', 'mixed'];
  const search = { classes, backgroundClass: 'empty', mixedClass: 'mixed', minShares: [0] };
  const cocci = [0.9, 0.05, 0.03, 0.02];
  const rods = [0.05, 0.85, 0.05, 0.05];
  const empty = [0.01, 0.01, 0.97, 0.01];
  const times = (row: number[], n: number): number[][] => Array.from({ length: n }, () => row);
  const fields = [
    { label: 'cocci', tileProbabilities: [...times(cocci, 6), rods, ...times(empty, 3)] },
    { label: 'rods', tileProbabilities: [...times(rods, 6), ...times(empty, 3)] },
    { label: 'mixed', tileProbabilities: [...times(cocci, 3), ...times(rods, 3), empty] },
    { label: 'empty', tileProbabilities: [...times(empty, 8), cocci] },
  ];

  it('scores a rule by field macro-F1, and "several" sensitivity on mixed and specificity on single-morphotype fields', () => {
    const loose = scoreFieldDecision(fields, { presenceThreshold: 0.8, minTiles: 1 }, search);
    // minTiles 1: the stray rods tile makes the cocci field mixed (1 of the 2 single-morphotype fields), the stray cocci tile the empty field cocci.
    expect(loose.multipleSensitivity).toBe(1);
    expect(loose.multipleSpecificity).toBe(0.5);
    expect(loose.macroF1).toBeLessThan(1);
    expect(scoreFieldDecision(fields, { presenceThreshold: 0.8, minTiles: 2 }, search)).toMatchObject({ macroF1: 1, multipleSensitivity: 1, multipleSpecificity: 1 });
  });

  it('picks the best macro-F1 among rules specific enough, the earliest on ties', () => {
    const fitted = fitFieldDecision(fields, { ...search, presenceThresholds: [0.8, 0.95], minTiles: [1, 2, 3, 4] });
    expect(fitted.params).toEqual({ presenceThreshold: 0.8, minTiles: 2, minShare: 0, groupThreshold: 0.8, referTiles: 2 });
    expect(fitted).toMatchObject({ macroF1: 1, feasible: true });
    expect(fitted.candidates).toHaveLength(8);
    // At 0.95 no tile is confident: every field is called empty.
    expect(fitted.candidates[4].macroF1).toBeCloseTo(0.1, 12);
  });

  it('fits a least share when stray tiles are too many for any least tile count', () => {
    const strays = [
      { label: 'cocci', tileProbabilities: [...times(cocci, 40), ...times(rods, 4), ...times(empty, 20)] },
      { label: 'rods', tileProbabilities: [...times(rods, 30), ...times(cocci, 3), ...times(empty, 20)] },
      { label: 'mixed', tileProbabilities: [...times(cocci, 10), ...times(rods, 12), ...times(empty, 20)] },
      { label: 'empty', tileProbabilities: times(empty, 20) },
    ];
    const fitted = fitFieldDecision(strays, { ...search, presenceThresholds: [0.8], minTiles: [1, 2, 3, 4], minShares: [0.3, 0.2, 0.1, 0] });
    expect(fitted).toMatchObject({ feasible: true, macroF1: 1, multipleSpecificity: 1 });
    expect(fitted.params.minShare).toBe(0.3);
    expect(fitted.candidates.filter((c) => c.params.minShare === 0).every((c) => c.multipleSpecificity < 0.95)).toBe(true);
  });

  it('fits how strong two morphotypes of one group must each be', () => {
    const gram = ['gpc_clusters', 'gnr', 'gnc', 'no_bacteria', 'polymicrobial'];
    const tile = (top: string, p: number): number[] => gram.map((c) => (c === top ? p : c === 'no_bacteria' ? 1 - p : 0));
    const gramFields = [
      { label: 'gnr', tileProbabilities: [...times(tile('gnr', 0.97), 30), ...times(tile('gnc', 0.8), 10), ...times(tile('no_bacteria', 0.9), 20)] },
      { label: 'gnc', tileProbabilities: [...times(tile('gnc', 0.96), 20), ...times(tile('no_bacteria', 0.9), 10)] },
      { label: 'polymicrobial', tileProbabilities: [...times(tile('gnr', 0.97), 15), ...times(tile('gnc', 0.97), 12)] },
      { label: 'gpc_clusters', tileProbabilities: times(tile('gpc_clusters', 0.95), 25) },
      { label: 'no_bacteria', tileProbabilities: times(tile('no_bacteria', 0.99), 30) },
    ];
    const fitted = fitFieldDecision(gramFields, {
      classes: gram,
      backgroundClass: 'no_bacteria',
      mixedClass: 'polymicrobial',
      groups: [{ name: 'Gram-negative', members: ['gnr', 'gnc'] }],
      presenceThresholds: [0.7],
      minTiles: [3],
      minShares: [0],
    });
    // 0.99: the mixed field is read as Gram-negative; 0.7: the rods field as polymicrobial; 0.95 and 0.9 are right, 0.95 comes first.
    expect(fitted.candidates.map((c) => c.params.groupThreshold)).toEqual([0.99, 0.95, 0.9, 0.7]);
    expect(fitted.candidates[0]).toMatchObject({ multipleSensitivity: 0 });
    expect(fitted.candidates[3].multipleSpecificity).toBeCloseTo(2 / 3, 12);
    expect(fitted).toMatchObject({ feasible: true, macroF1: 1, params: { groupThreshold: 0.95 } });
  });

  it('falls back to the most specific rule when none is specific enough', () => {
    const fitted = fitFieldDecision(fields, { ...search, presenceThresholds: [0.8], minTiles: [1, 4], minMultipleSpecificity: 1.01 });
    expect(fitted.feasible).toBe(false);
    expect(fitted.params.minTiles).toBe(4);
    expect(() => fitFieldDecision([], search)).toThrow(/no labelled fields/);
    expect(() => fitFieldDecision([{ label: 'spores', tileProbabilities: [cocci] }], search)).toThrow(/field label "spores"/);
  });
});
