import { describe, expect, it } from 'vitest';
import { DEFAULT_FIELD_DECISION, aggregateTiles, decideField, detectMultipleMorphotypes, fitFieldDecision, scoreFieldDecision } from '../../src/fields/index.ts';

// Classes: 0 = GPC, 1 = GNR, 2 = background.
const BACKGROUND = 2;

function expectClose(actual: number[], expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 9));
}

describe('aggregateTiles', () => {
  it('averages the organism tiles weighted by 1 - P(background), ignoring empty glass', () => {
    const tiles = [
      [0.8, 0.1, 0.1], // weight 0.9
      [0.2, 0.4, 0.4], // weight 0.6
      [0.0, 0.05, 0.95], // background: left out
      [0.01, 0.01, 0.98], // background: left out
    ];
    const field = aggregateTiles(tiles, { backgroundClass: BACKGROUND });
    expectClose(field, [(0.9 * 0.8 + 0.6 * 0.2) / 1.5, (0.9 * 0.1 + 0.6 * 0.4) / 1.5, (0.9 * 0.1 + 0.6 * 0.4) / 1.5]);
    expect(field.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('multiplies in per-tile weights', () => {
    const tiles = [
      [0.9, 0.0, 0.1],
      [0.0, 0.9, 0.1],
    ];
    expectClose(aggregateTiles(tiles, { backgroundClass: BACKGROUND, weights: [1, 3] }), [0.225, 0.675, 0.1]);
  });

  it('falls back to background when no tile shows organisms', () => {
    const tiles = [
      [0.2, 0.1, 0.7],
      [0.1, 0.3, 0.6],
    ];
    const field = aggregateTiles(tiles, { backgroundClass: BACKGROUND });
    expectClose(field, [0.15, 0.2, 0.65]);
    expect(field.indexOf(Math.max(...field))).toBe(BACKGROUND);
  });

  it('rejects malformed input', () => {
    expect(() => aggregateTiles([], { backgroundClass: 0 })).toThrow(/no tile/);
    expect(() => aggregateTiles([[0.5, 0.5], [1]], { backgroundClass: 0 })).toThrow(/same number/);
    expect(() => aggregateTiles([[0.5, 0.5]], { backgroundClass: 2 })).toThrow(/backgroundClass/);
    expect(() => aggregateTiles([[0.5, 0.5]], { backgroundClass: 0, weights: [1, 1] })).toThrow(/weights/);
  });
});

describe('detectMultipleMorphotypes', () => {
  const tiles = [
    [0.9, 0.05, 0.05],
    [0.85, 0.1, 0.05],
    [0.1, 0.8, 0.1],
    [0.2, 0.75, 0.05],
    [0.05, 0.9, 0.05],
    [0.0, 0.0, 1.0],
    [0.0, 0.02, 0.98],
  ];

  it('lists the morphotypes confidently present on enough tiles, most widespread first', () => {
    expect(detectMultipleMorphotypes(tiles, { threshold: 0.7, minTiles: 2, exclude: [BACKGROUND] })).toEqual([
      { classIndex: 1, tileCount: 3 },
      { classIndex: 0, tileCount: 2 },
    ]);
  });

  it('drops a morphotype seen on too few tiles or below the threshold', () => {
    expect(detectMultipleMorphotypes(tiles, { threshold: 0.7, minTiles: 3, exclude: [BACKGROUND] })).toEqual([{ classIndex: 1, tileCount: 3 }]);
    expect(detectMultipleMorphotypes(tiles, { threshold: 0.88, minTiles: 1, exclude: [BACKGROUND] })).toEqual([
      { classIndex: 0, tileCount: 1 },
      { classIndex: 1, tileCount: 1 },
    ]);
    expect(detectMultipleMorphotypes([], { threshold: 0.5, minTiles: 1 })).toEqual([]);
    expect(() => detectMultipleMorphotypes(tiles, { threshold: 0, minTiles: 1 })).toThrow(/threshold/);
  });
});

describe('decideField', () => {
  const classes = ['cocci', 'rods', 'empty', 'mixed'];
  const base = { classes, backgroundClass: 'empty', mixedClass: 'mixed', presenceThreshold: 0.6, minTiles: 2 };
  const cocci = [0.9, 0.05, 0.03, 0.02];
  const rods = [0.05, 0.85, 0.05, 0.05];
  const empty = [0.01, 0.01, 0.97, 0.01];
  const mixedTile = [0.2, 0.1, 0.0, 0.7];
  const unsure = [0.45, 0.4, 0.1, 0.05];

  it('labels a field of one morphotype with it', () => {
    const decision = decideField([cocci, cocci, cocci, empty, empty, rods], base);
    expect(decision.label).toBe('cocci');
    expect(decision.morphotypes).toEqual([{ label: 'cocci', tileCount: 3 }]);
    expect(decision.multiple).toBe(false);
    expect(decision.probabilities.length).toBe(4);
    expect(decision.probabilities.indexOf(Math.max(...decision.probabilities))).toBe(0);
  });

  it('labels an empty field, or one with only stray or unsure tiles, with the background class', () => {
    expect(decideField([empty, empty, empty], base)).toMatchObject({ label: 'empty', morphotypes: [], multiple: false });
    expect(decideField([empty, cocci, empty, unsure, unsure], base)).toMatchObject({ label: 'empty', morphotypes: [], multiple: false });
  });

  it('calls two present morphotypes mixed, most widespread first', () => {
    const decision = decideField([rods, cocci, rods, cocci, rods, empty], base);
    expect(decision).toMatchObject({ label: 'mixed', multiple: true });
    expect(decision.morphotypes).toEqual([
      { label: 'rods', tileCount: 3 },
      { label: 'cocci', tileCount: 2 },
    ]);
  });

  it('calls a field mixed when enough tiles are themselves mixed', () => {
    expect(decideField([cocci, cocci, mixedTile, mixedTile], base)).toMatchObject({ label: 'mixed', multiple: true, morphotypes: [{ label: 'cocci', tileCount: 2 }] });
    expect(decideField([cocci, cocci, mixedTile], base)).toMatchObject({ label: 'cocci', multiple: false });
  });

  it('answers with the most widespread morphotype when there is no mixed class', () => {
    const decision = decideField([rods, cocci, rods, cocci, rods], { ...base, mixedClass: undefined });
    expect(decision).toMatchObject({ label: 'rods', multiple: true });
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

  it('rejects classes that do not match the tiles', () => {
    expect(() => decideField([cocci], { ...base, backgroundClass: 'glass' })).toThrow(/backgroundClass "glass"/);
    expect(() => decideField([cocci], { ...base, mixedClass: 'poly' })).toThrow(/mixedClass "poly"/);
    expect(() => decideField([[0.5, 0.5]], base)).toThrow(/expected 4 probabilities/);
    expect(() => decideField([cocci], { ...base, minTiles: 0 })).toThrow(/minTiles/);
  });

  it('has defaults that are valid parameters', () => {
    expect(decideField([cocci, cocci], { ...base, ...DEFAULT_FIELD_DECISION }).label).toBe('cocci');
  });
});

describe('fitFieldDecision', () => {
  const classes = ['cocci', 'rods', 'empty', 'mixed'];
  const search = { classes, backgroundClass: 'empty', mixedClass: 'mixed' };
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

  it('scores a rule by field macro-F1 and the mixed class sensitivity and specificity', () => {
    const loose = scoreFieldDecision(fields, { presenceThreshold: 0.8, minTiles: 1 }, search);
    // minTiles 1: the stray rods tile makes the cocci field mixed, the stray cocci tile the empty field cocci.
    expect(loose.mixedSensitivity).toBe(1);
    expect(loose.mixedSpecificity).toBeCloseTo(2 / 3, 12);
    expect(loose.macroF1).toBeLessThan(1);
    expect(scoreFieldDecision(fields, { presenceThreshold: 0.8, minTiles: 2 }, search)).toMatchObject({ macroF1: 1, mixedSensitivity: 1, mixedSpecificity: 1 });
  });

  it('picks the best macro-F1 among rules specific enough, the earliest on ties', () => {
    const fitted = fitFieldDecision(fields, { ...search, presenceThresholds: [0.8, 0.95], minTiles: [1, 2, 3, 4] });
    expect(fitted.params).toEqual({ presenceThreshold: 0.8, minTiles: 2 });
    expect(fitted).toMatchObject({ macroF1: 1, feasible: true });
    expect(fitted.candidates).toHaveLength(8);
    // At 0.95 no tile is confident: every field is called empty.
    expect(fitted.candidates[4].macroF1).toBeCloseTo(0.1, 12);
  });

  it('falls back to the most specific rule when none is specific enough', () => {
    const fitted = fitFieldDecision(fields, { ...search, presenceThresholds: [0.8], minTiles: [1, 4], minMixedSpecificity: 1.01 });
    expect(fitted.feasible).toBe(false);
    expect(fitted.params.minTiles).toBe(4);
    expect(() => fitFieldDecision([], search)).toThrow(/no labelled fields/);
    expect(() => fitFieldDecision([{ label: 'spores', tileProbabilities: [cocci] }], search)).toThrow(/field label "spores"/);
  });
});
