/** Fitting the whole-field decision rule on labelled (validation) fields. */
import type { FieldDecisionParams, MorphotypeGroup } from '../contract/index.ts';
import { confusionMatrix, macroF1 } from '../evaluate/index.ts';
import type { TileProbabilities } from './aggregate.ts';
import { countAtLeast, decideFromEvidence, resolveRule, tileEvidence, type FieldDecision, type ResolvedRule, type TileEvidence } from './decision.ts';

/** A field with known class and its tile probabilities, for fitting the decision rule. */
export interface LabelledField {
  tileProbabilities: TileProbabilities;
  label: string;
  /** Per tile, whether it counts (decideField's `counted`; default all). */
  counted?: readonly boolean[];
}

export interface FieldDecisionSearch {
  classes: readonly string[];
  backgroundClass: string;
  mixedClass?: string;
  /** Confusable morphotypes (decideField's `groups`). */
  groups?: readonly MorphotypeGroup[];
  /** Candidate presence thresholds (default 0.5 ... 0.95). */
  presenceThresholds?: readonly number[];
  /** Candidate least tile counts (default 1 ... 16). */
  minTiles?: readonly number[];
  /** Candidate least shares of the organism tiles (default 0.3 ... 0). */
  minShares?: readonly number[];
  /** Candidate group thresholds (default 0.99, 0.95, 0.9 and the presence threshold itself); only with groups. */
  groupThresholds?: readonly number[];
  /** Least share of single-morphotype fields a candidate must leave not multiple (default 0.95). */
  minMultipleSpecificity?: number;
  /** Most share of background-class fields the refer count may send to "uncertain: refer" (default 0.05). */
  maxEmptyReferred?: number;
}

export interface FieldDecisionScore {
  params: Required<FieldDecisionParams>;
  /** Over the classes; a group's answer counts as the field's class when that is one of its members. */
  macroF1: number;
  /** Share of mixed-class fields called multiple (NaN without mixed class or such fields). */
  multipleSensitivity: number;
  /** Share of single-morphotype fields (neither background nor mixed class) not called multiple (NaN without such fields). */
  multipleSpecificity: number;
  /** Share of background-class fields referred (NaN without such fields); a referred field is still scored as its label. */
  emptyReferred: number;
}

export interface FittedFieldDecision extends FieldDecisionScore {
  /** Whether the chosen rule reaches minMultipleSpecificity (else it is the most specific candidate). */
  feasible: boolean;
  /** Every candidate, in search order. */
  candidates: FieldDecisionScore[];
}

const DEFAULT_PRESENCE_THRESHOLDS = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95] as const;
const DEFAULT_MIN_TILES = [1, 2, 3, 4, 5, 6, 8, 10, 12, 16] as const;
const DEFAULT_MIN_SHARES = [0.3, 0.2, 0.15, 0.1, 0.05, 0.02, 0] as const;
const DEFAULT_GROUP_THRESHOLDS = [0.99, 0.95, 0.9] as const;

interface PreparedField {
  evidence: TileEvidence;
  truth: number;
}

function prepare(fields: readonly LabelledField[], rule: ResolvedRule): PreparedField[] {
  const { classes } = rule;
  return fields.map((field) => {
    const truth = classes.indexOf(field.label);
    if (truth < 0) throw new Error(`field label "${field.label}" is not one of the classes (${classes.join(', ')})`);
    if (field.tileProbabilities.some((row) => row.length !== classes.length)) throw new Error(`expected ${classes.length} probabilities per tile (one per class)`);
    return { evidence: tileEvidence(field.tileProbabilities, rule, field.counted), truth };
  });
}

function share(count: number, total: number): number {
  return total === 0 ? Number.NaN : count / total;
}

/**
 * The class a field's answer is scored as: its label, except a group's answer, which counts as the
 * field's true class when that is one of the members it found (right at the group's level), else as
 * its first member. -1 for a label that is not a class.
 */
export function scoredClass(decision: Pick<FieldDecision, 'label' | 'findings'>, truth: string, classes: readonly string[]): number {
  if (classes.includes(decision.label)) return classes.indexOf(decision.label);
  const members = decision.findings.find((finding) => finding.label === decision.label)?.members ?? [];
  if (members.length === 0) return -1;
  return classes.indexOf(members.includes(truth) ? truth : members[0]);
}

function score(prepared: readonly PreparedField[], rule: ResolvedRule): FieldDecisionScore {
  const { classes, background, mixed } = rule;
  const predicted = prepared.map(({ evidence, truth }) => {
    const { label, findings, multiple, refer } = decideFromEvidence(evidence, rule);
    const members = findings.find((f) => f.label === label)?.members ?? [];
    // As scoredClass, on class indices.
    const answer = classes.includes(label) || members.length === 0 ? classes.indexOf(label) : members.includes(truth) ? truth : members[0];
    return { answer, multiple, refer };
  });
  const truth = prepared.map((field) => field.truth);
  const cm = confusionMatrix(truth, predicted.map((p) => p.answer), classes.length);
  const mixedFields = prepared.flatMap((field, i) => (field.truth === mixed ? [predicted[i]] : []));
  const singleFields = prepared.flatMap((field, i) => (field.truth !== mixed && field.truth !== background ? [predicted[i]] : []));
  const emptyFields = prepared.flatMap((field, i) => (field.truth === background ? [predicted[i]] : []));
  const { presenceThreshold, minTiles, minShare, groupThreshold, referTiles } = rule;
  return {
    params: { presenceThreshold, minTiles, minShare, groupThreshold, referTiles },
    macroF1: macroF1(cm),
    multipleSensitivity: mixed < 0 ? Number.NaN : share(mixedFields.filter((p) => p.multiple).length, mixedFields.length),
    multipleSpecificity: share(singleFields.filter((p) => !p.multiple).length, singleFields.length),
    emptyReferred: share(emptyFields.filter((p) => p.refer).length, emptyFields.length),
  };
}

/** Field macro-F1 and "several morphotypes" sensitivity and specificity of one decision rule on labelled fields. */
export function scoreFieldDecision(fields: readonly LabelledField[], params: FieldDecisionParams, search: FieldDecisionSearch): FieldDecisionScore {
  const { classes, backgroundClass, mixedClass, groups } = search;
  const rule = resolveRule({ ...params, groups: groups?.map((g) => ({ ...g, members: [...g.members] })) }, classes, backgroundClass, mixedClass);
  return score(prepare(fields, rule), rule);
}

/** The candidate rules in search order: presence thresholds and least tiles ascending, least shares and group thresholds strictest first. */
function candidateParams(search: FieldDecisionSearch): Required<FieldDecisionParams>[] {
  const thresholds = search.presenceThresholds ?? DEFAULT_PRESENCE_THRESHOLDS;
  const minTiles = search.minTiles ?? DEFAULT_MIN_TILES;
  const minShares = search.minShares ?? DEFAULT_MIN_SHARES;
  const hasGroups = (search.groups?.length ?? 0) > 0;
  return thresholds.flatMap((presenceThreshold) => {
    const levels = hasGroups ? [...(search.groupThresholds ?? DEFAULT_GROUP_THRESHOLDS), presenceThreshold].filter((level) => level >= presenceThreshold) : [presenceThreshold];
    const groupThresholds = [...new Set(levels)];
    return minTiles.flatMap((tiles) => minShares.flatMap((minShare) => groupThresholds.map((groupThreshold) => ({ presenceThreshold, minTiles: tiles, minShare, groupThreshold, referTiles: tiles }))));
  });
}

/**
 * The least refer count (at least the rule's minTiles) that sends at most maxEmptyReferred of the
 * background-class fields to "uncertain: refer": one above the organism tile count of the field
 * just past that share, counting only fields the rule finds nothing on.
 */
function fitReferTiles(prepared: readonly PreparedField[], rule: ResolvedRule, maxEmptyReferred: number): number {
  const counts = prepared
    .filter((field) => field.truth === rule.background)
    .map(({ evidence }) => {
      const { findings, multiple } = decideFromEvidence(evidence, rule);
      return findings.length === 0 && !multiple ? countAtLeast(evidence.organisms, rule.presenceThreshold) : 0;
    })
    .sort((a, b) => b - a);
  const allowed = Math.floor(maxEmptyReferred * counts.length + 1e-9);
  return Math.max(rule.minTiles, allowed < counts.length ? counts[allowed] + 1 : 1);
}

/**
 * The decision rule (presence threshold, least tiles, least share, group threshold) with the best
 * field macro-F1 among those that leave at least minMultipleSpecificity of the single-morphotype
 * fields not multiple; ties go to the higher "multiple" sensitivity, then the higher specificity,
 * then the earlier candidate. When none is specific enough, the most specific candidate. Then its
 * refer count (fitReferTiles; the candidates are scored with referTiles = minTiles, which changes
 * no label). Fit it on validation fields only.
 */
export function fitFieldDecision(fields: readonly LabelledField[], search: FieldDecisionSearch): FittedFieldDecision {
  if (fields.length === 0) throw new Error('no labelled fields to fit the decision on');
  const { classes, backgroundClass, mixedClass } = search;
  const groups = search.groups?.map((g) => ({ ...g, members: [...g.members] }));
  const ruleOf = (params: FieldDecisionParams): ResolvedRule => resolveRule({ ...params, groups }, classes, backgroundClass, mixedClass);
  const allParams = candidateParams(search);
  if (allParams.length === 0) throw new Error('no candidate decision rules to fit');
  const prepared = prepare(fields, ruleOf(allParams[0]));
  const candidates = allParams.map((params) => score(prepared, ruleOf(params)));
  const minSpecificity = search.minMultipleSpecificity ?? 0.95;
  const orZero = (v: number): number => (Number.isNaN(v) ? 0 : v);
  const feasible = (c: FieldDecisionScore): boolean => Number.isNaN(c.multipleSpecificity) || c.multipleSpecificity >= minSpecificity;
  const pool = candidates.filter(feasible);
  const keys = (c: FieldDecisionScore): number[] =>
    pool.length > 0 ? [c.macroF1, c.multipleSensitivity, c.multipleSpecificity].map(orZero) : [c.multipleSpecificity, c.macroF1].map(orZero);
  const better = (a: FieldDecisionScore, b: FieldDecisionScore): boolean => {
    const [ka, kb] = [keys(a), keys(b)];
    const differs = ka.findIndex((v, i) => v !== kb[i]);
    return differs >= 0 && ka[differs] > kb[differs];
  };
  const chosen = (pool.length > 0 ? pool : candidates).reduce((kept, c) => (better(c, kept) ? c : kept));
  const referTiles = fitReferTiles(prepared, ruleOf(chosen.params), search.maxEmptyReferred ?? 0.05);
  const best = score(prepared, ruleOf({ ...chosen.params, referTiles }));
  return { ...best, feasible: pool.length > 0, candidates };
}
