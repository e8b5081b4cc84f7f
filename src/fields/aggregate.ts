import { confusionMatrix, macroF1, perClassMetrics } from '../evaluate/index.ts';

/** From tile predictions (one probability row per tile) to a field's answer. */

export type TileProbabilities = readonly (readonly number[])[];

export interface AggregateOptions {
  /** Index of the class meaning "nothing here" (no organisms on the tile). */
  backgroundClass: number;
  /** Optional per-tile weights (e.g. the share of the tile inside the field); default 1. */
  weights?: readonly number[];
}

function checkRows(rows: TileProbabilities, classIndex: number, name: string): number {
  if (rows.length === 0) throw new Error('no tile probabilities');
  const k = rows[0].length;
  if (rows.some((row) => row.length !== k)) throw new Error('every tile must have the same number of class probabilities');
  if (!(Number.isInteger(classIndex) && classIndex >= 0 && classIndex < k)) throw new Error(`${name} must be a class index in [0, ${k}) (got ${classIndex})`);
  return k;
}

/**
 * Field probabilities from tile probabilities: the mean over the tiles that show organisms
 * (P(background) < 0.5), each weighted by 1 - P(background) (and its weight), so empty glass does
 * not dilute a few infected tiles. When no tile shows organisms, the weighted mean of all tiles,
 * in which background is then the most probable class.
 */
export function aggregateTiles(tileProbabilities: TileProbabilities, options: AggregateOptions): number[] {
  const { backgroundClass, weights } = options;
  const k = checkRows(tileProbabilities, backgroundClass, 'backgroundClass');
  if (weights && weights.length !== tileProbabilities.length) throw new Error(`expected ${tileProbabilities.length} weights, got ${weights.length}`);
  const weightOf = (i: number): number => weights?.[i] ?? 1;
  const organismTiles = tileProbabilities.map((_, i) => i).filter((i) => tileProbabilities[i][backgroundClass] < 0.5 && weightOf(i) > 0);
  const chosen = organismTiles.length > 0 ? organismTiles : tileProbabilities.map((_, i) => i);
  const tileWeight = (i: number): number => (organismTiles.length > 0 ? (1 - tileProbabilities[i][backgroundClass]) * weightOf(i) : weightOf(i));
  const field = new Array<number>(k).fill(0);
  let total = 0;
  for (const i of chosen) {
    const w = tileWeight(i);
    total += w;
    for (let c = 0; c < k; c++) field[c] += w * tileProbabilities[i][c];
  }
  if (total <= 0) throw new Error('tile weights sum to zero');
  return field.map((v) => v / total);
}

export interface MorphotypeOptions {
  /** Least probability for a class to count as present on a tile. */
  threshold: number;
  /** Least number of tiles a class must be present on. */
  minTiles: number;
  /** Classes that are not morphotypes (background, "polymicrobial"), never reported. */
  exclude?: readonly number[];
}

export interface MorphotypePresence {
  classIndex: number;
  tileCount: number;
}

/**
 * The morphotypes confidently present on at least minTiles tiles, most widespread first: two or
 * more mean a mixed (polymicrobial) field even when the field-level mean is dominated by one.
 */
export function detectMultipleMorphotypes(tileProbabilities: TileProbabilities, options: MorphotypeOptions): MorphotypePresence[] {
  const { threshold, minTiles, exclude = [] } = options;
  if (!(threshold > 0 && threshold <= 1)) throw new Error(`threshold must be in (0, 1] (got ${threshold})`);
  if (!(Number.isInteger(minTiles) && minTiles >= 1)) throw new Error(`minTiles must be a positive integer (got ${minTiles})`);
  if (tileProbabilities.length === 0) return [];
  const k = checkRows(tileProbabilities, 0, 'class');
  const counts = new Array<number>(k).fill(0);
  for (const row of tileProbabilities) for (let c = 0; c < k; c++) if (row[c] >= threshold) counts[c]++;
  return counts
    .map((tileCount, classIndex) => ({ classIndex, tileCount }))
    .filter((p) => p.tileCount >= minTiles && !exclude.includes(p.classIndex))
    .sort((a, b) => b.tileCount - a.tileCount || a.classIndex - b.classIndex);
}

export interface FieldDecisionParams {
  /** Least tile probability for a morphotype to count as present on that tile. */
  presenceThreshold: number;
  /** Least number of tiles a morphotype must be present on to count for the field. */
  minTiles: number;
}

export const DEFAULT_FIELD_DECISION: Readonly<FieldDecisionParams> = { presenceThreshold: 0.7, minTiles: 2 };

export interface FieldDecisionOptions extends FieldDecisionParams {
  /** The tile model's classes, in output order. */
  classes: readonly string[];
  /** The class of a tile with no organisms (e.g. 'no_bacteria'); also the field's label when no morphotype is present. */
  backgroundClass: string;
  /** The field's label when two or more morphotypes are present (e.g. 'polymicrobial'); a tile of this class is itself mixed. */
  mixedClass?: string;
  /** Per tile, e.g. the share inside the field of view (default 1). */
  weights?: readonly number[];
}

export interface FieldDecision {
  /** The field's class. */
  label: string;
  /** Field-level probabilities per class (aggregateTiles). */
  probabilities: number[];
  /** Morphotypes confidently present on at least minTiles tiles, most widespread first. */
  morphotypes: { label: string; tileCount: number }[];
  /** Two or more morphotypes present, or mixed tiles (mixedClass) on at least minTiles tiles. */
  multiple: boolean;
}

function classIndexOf(classes: readonly string[], name: string, role: string): number {
  const index = classes.indexOf(name);
  if (index < 0) throw new Error(`${role} "${name}" is not one of the classes (${classes.join(', ')})`);
  return index;
}

/**
 * A field's answer from its tiles. A morphotype is present when its probability reaches
 * presenceThreshold on at least minTiles tiles. None present: the background class (a few stray
 * tiles do not make an infection). Two or more, or mixed tiles on at least minTiles tiles: the mixed
 * class (when given; else the most widespread morphotype). One: that morphotype.
 */
export function decideField(tileProbabilities: TileProbabilities, options: FieldDecisionOptions): FieldDecision {
  const { classes, backgroundClass, mixedClass, presenceThreshold, minTiles, weights } = options;
  if (tileProbabilities.length > 0 && tileProbabilities[0].length !== classes.length) {
    throw new Error(`expected ${classes.length} probabilities per tile (one per class), got ${tileProbabilities[0].length}`);
  }
  const background = classIndexOf(classes, backgroundClass, 'backgroundClass');
  const mixed = mixedClass === undefined ? -1 : classIndexOf(classes, mixedClass, 'mixedClass');
  const present = detectMultipleMorphotypes(tileProbabilities, { threshold: presenceThreshold, minTiles, exclude: [background] });
  const probabilities = aggregateTiles(tileProbabilities, { backgroundClass: background, weights });
  const morphotypes = present.filter((p) => p.classIndex !== mixed).map((p) => ({ label: classes[p.classIndex], tileCount: p.tileCount }));
  const multiple = morphotypes.length >= 2 || present.some((p) => p.classIndex === mixed);
  const label = multiple && mixedClass !== undefined ? mixedClass : (morphotypes[0]?.label ?? backgroundClass);
  return { label, probabilities, morphotypes, multiple };
}

/** A field with known class and its tile probabilities, for fitting the decision rule. */
export interface LabelledField {
  tileProbabilities: TileProbabilities;
  label: string;
  weights?: readonly number[];
}

export interface FieldDecisionSearch {
  classes: readonly string[];
  backgroundClass: string;
  mixedClass?: string;
  /** Candidate presence thresholds (default 0.5 ... 0.95). */
  presenceThresholds?: readonly number[];
  /** Candidate least tile counts (default 1 ... 16). */
  minTiles?: readonly number[];
  /** Least specificity of the mixed class a candidate must reach (default 0.9). */
  minMixedSpecificity?: number;
}

export interface FieldDecisionScore {
  params: FieldDecisionParams;
  macroF1: number;
  /** One-vs-rest sensitivity and specificity of the mixed class (NaN without mixed class or without fields of/outside it). */
  mixedSensitivity: number;
  mixedSpecificity: number;
}

export interface FittedFieldDecision extends FieldDecisionScore {
  /** Whether the chosen rule reaches minMixedSpecificity (else it is the most specific candidate). */
  feasible: boolean;
  /** Every candidate, in search order. */
  candidates: FieldDecisionScore[];
}

export const DEFAULT_PRESENCE_THRESHOLDS = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95] as const;
export const DEFAULT_MIN_TILES = [1, 2, 3, 4, 5, 6, 8, 10, 12, 16] as const;

/** Field macro-F1 and mixed-class sensitivity/specificity of one decision rule on labelled fields. */
export function scoreFieldDecision(fields: readonly LabelledField[], params: FieldDecisionParams, search: FieldDecisionSearch): FieldDecisionScore {
  const { classes, backgroundClass, mixedClass } = search;
  const index = (label: string): number => classIndexOf(classes, label, 'field label');
  const truth = fields.map((field) => index(field.label));
  const predicted = fields.map((field) => index(decideField(field.tileProbabilities, { ...params, classes, backgroundClass, mixedClass, weights: field.weights }).label));
  const cm = confusionMatrix(truth, predicted, classes.length);
  const mixed = mixedClass === undefined ? null : perClassMetrics(cm)[index(mixedClass)];
  return { params, macroF1: macroF1(cm), mixedSensitivity: mixed?.sensitivity ?? Number.NaN, mixedSpecificity: mixed?.specificity ?? Number.NaN };
}

/**
 * The decision rule (presenceThreshold, minTiles) with the best field macro-F1 among those whose
 * mixed-class specificity reaches minMixedSpecificity; ties go to the higher mixed sensitivity, then
 * to the earlier candidate. When none reaches it, the most specific candidate. Fit on validation
 * fields only.
 */
export function fitFieldDecision(fields: readonly LabelledField[], search: FieldDecisionSearch): FittedFieldDecision {
  if (fields.length === 0) throw new Error('no labelled fields to fit the decision on');
  const thresholds = search.presenceThresholds ?? DEFAULT_PRESENCE_THRESHOLDS;
  const minTiles = search.minTiles ?? DEFAULT_MIN_TILES;
  const minSpecificity = search.minMixedSpecificity ?? 0.9;
  const candidates = thresholds.flatMap((presenceThreshold) => minTiles.map((tiles) => scoreFieldDecision(fields, { presenceThreshold, minTiles: tiles }, search)));
  const orZero = (v: number): number => (Number.isNaN(v) ? 0 : v);
  const feasible = (c: FieldDecisionScore): boolean => Number.isNaN(c.mixedSpecificity) || c.mixedSpecificity >= minSpecificity;
  const pool = candidates.filter(feasible);
  const better = (a: FieldDecisionScore, b: FieldDecisionScore): boolean =>
    pool.length > 0
      ? orZero(a.macroF1) > orZero(b.macroF1) || (orZero(a.macroF1) === orZero(b.macroF1) && orZero(a.mixedSensitivity) > orZero(b.mixedSensitivity))
      : orZero(a.mixedSpecificity) > orZero(b.mixedSpecificity) || (orZero(a.mixedSpecificity) === orZero(b.mixedSpecificity) && orZero(a.macroF1) > orZero(b.macroF1));
  const best = (pool.length > 0 ? pool : candidates).reduce((chosen, c) => (better(c, chosen) ? c : chosen));
  return { ...best, feasible: pool.length > 0, candidates };
}
