/** A field's answer from its tiles: which morphotypes have enough evidence, and whether there are several. */
import type { FieldDecisionParams, FieldDecisionRule, LabelTreeNode, MorphotypeGroup } from '../contract/index.ts';
import { aggregateTiles, type TileProbabilities } from './aggregate.ts';

/**
 * For bundles without a fitted rule: a morphotype needs 3 tiles at ≥ 0.7 and a tenth of the organism
 * tiles; two of one group need 3 tiles at ≥ 0.9 each; 3 organism tiles at ≥ 0.7 without a finding refer.
 */
export const DEFAULT_FIELD_DECISION: Readonly<Required<FieldDecisionParams>> = { presenceThreshold: 0.7, minTiles: 3, minShare: 0.1, groupThreshold: 0.9, referTiles: 3 };

/** What the counted tiles of a field show, each list highest first. */
export interface TileEvidence {
  /** Per class, the probabilities of the tiles whose most likely class it is. */
  byClass: readonly (readonly number[])[];
  /** Per group, its members' summed probabilities on the tiles whose most likely class is a member. */
  byGroup: readonly (readonly number[])[];
  /** Per tile, its organism probability (1 - the background's). */
  organisms: readonly number[];
}

/** The tiles of one class: those whose most likely class it is, and how many of them reach the presence threshold. */
export interface TileClassCount {
  label: string;
  tiles: number;
  confidentTiles: number;
}

/** What a field shows, one entry per organism found: a morphotype, or a group whose present members were not told apart. */
export interface FieldFinding {
  label: string;
  /** The morphotype itself, or the group's members present. */
  members: string[];
}

export interface FieldDecision {
  /** A morphotype, a group's name (its members not told apart), the background class (none found) or the mixed class (several). */
  label: string;
  /** Field-level probability of the label (a group: its members' summed). */
  probability: number;
  /** Field-level probabilities per class (aggregateTiles). */
  probabilities: number[];
  /** One entry per organism found, most tiles first; two or more make the field multiple. */
  findings: FieldFinding[];
  /** The morphotypes of the findings with their tile counts (the same as in tileCounts), most tiles first. */
  morphotypes: { label: string; tileCount: number; confidentTiles: number }[];
  /** Two or more findings, or enough tiles of the mixed class itself. */
  multiple: boolean;
  /** No finding, yet referTiles or more tiles are confident they show organisms: "uncertain: refer", not "no organisms". */
  refer: boolean;
  /** Every class that some counted tile shows as its most likely class, most tiles first: the one count behind the morphotypes and the tile-map legend. */
  tileCounts: TileClassCount[];
  /**
   * How clear the weakest finding is: the least, over the findings, share of the tiles of its members
   * that are confident for their own class (at presenceThreshold); null without findings.
   */
  evidenceShare: number | null;
}

export interface FieldDecisionOptions extends FieldDecisionRule {
  /** The tile model's classes, in output order. */
  classes: readonly string[];
  /** The class of a tile with no organisms (e.g. 'no_bacteria'); also the field's label when no morphotype is present. */
  backgroundClass: string;
  /** The field's label when two or more morphotypes are present (e.g. 'polymicrobial'); a tile of this class is itself mixed. */
  mixedClass?: string;
  /** Per tile, e.g. the share inside the field of view (default 1); for the probabilities only. */
  weights?: readonly number[];
  /** Per tile, whether it is counted (default all): tiles known empty without reading them count in the probabilities but not in the tile counts. */
  counted?: readonly boolean[];
}

/** A decision rule with class indices, checked once. */
export interface ResolvedRule extends Required<FieldDecisionParams> {
  classes: readonly string[];
  background: number;
  /** -1 without a mixed class. */
  mixed: number;
  groups: { name: string; members: number[] }[];
  /** Per class, its group's index or -1. */
  groupOf: number[];
}

function classIndexOf(classes: readonly string[], name: string, role: string): number {
  const index = classes.indexOf(name);
  if (index < 0) throw new Error(`${role} "${name}" is not one of the classes (${classes.join(', ')})`);
  return index;
}

function checkParams(params: FieldDecisionParams): Required<FieldDecisionParams> {
  const { presenceThreshold, minTiles, minShare = 0, groupThreshold = presenceThreshold, referTiles = minTiles } = params;
  if (!(presenceThreshold > 0 && presenceThreshold <= 1)) throw new Error(`presenceThreshold must be in (0, 1] (got ${presenceThreshold})`);
  if (!(Number.isInteger(minTiles) && minTiles >= 1)) throw new Error(`minTiles must be a positive integer (got ${minTiles})`);
  if (!(minShare >= 0 && minShare <= 1)) throw new Error(`minShare must be in [0, 1] (got ${minShare})`);
  if (!(groupThreshold > 0 && groupThreshold <= 1)) throw new Error(`groupThreshold must be in (0, 1] (got ${groupThreshold})`);
  if (!(Number.isInteger(referTiles) && referTiles >= 1)) throw new Error(`referTiles must be a positive integer (got ${referTiles})`);
  return { presenceThreshold, minTiles, minShare, groupThreshold, referTiles };
}

/** Checks a rule against the classes and turns names into indices. */
export function resolveRule(rule: FieldDecisionRule, classes: readonly string[], backgroundClass: string, mixedClass: string | undefined): ResolvedRule {
  const background = classIndexOf(classes, backgroundClass, 'backgroundClass');
  const mixed = mixedClass === undefined ? -1 : classIndexOf(classes, mixedClass, 'mixedClass');
  const groupOf = classes.map(() => -1);
  const groups = (rule.groups ?? []).map((group, g) => {
    if (classes.includes(group.name)) throw new Error(`group "${group.name}" has the name of a class`);
    if (group.members.length < 2) throw new Error(`group "${group.name}" needs at least two members`);
    const members = group.members.map((name) => classIndexOf(classes, name, `member of group "${group.name}"`));
    for (const c of members) {
      if (c === background || c === mixed) throw new Error(`group "${group.name}" cannot hold the ${c === background ? 'background' : 'mixed'} class`);
      if (groupOf[c] >= 0) throw new Error(`class "${classes[c]}" is in two groups`);
      groupOf[c] = g;
    }
    return { name: group.name, members };
  });
  return { ...checkParams(rule), classes, background, mixed, groups, groupOf };
}

/** The evidence of the counted tiles, for a rule's background class and groups (class indices). */
export function tileEvidence(tileProbabilities: TileProbabilities, rule: Pick<ResolvedRule, 'background' | 'groups' | 'groupOf'>, counted?: readonly boolean[]): TileEvidence {
  const k = tileProbabilities[0]?.length ?? 0;
  const byClass = Array.from({ length: k }, (): number[] => []);
  const byGroup = rule.groups.map((): number[] => []);
  const organisms: number[] = [];
  tileProbabilities.forEach((row, i) => {
    if (counted && !counted[i]) return;
    let best = 0;
    for (let c = 1; c < k; c++) if (row[c] > row[best]) best = c;
    byClass[best].push(row[best]);
    const g = rule.groupOf[best];
    if (g >= 0) byGroup[g].push(rule.groups[g].members.reduce((sum, c) => sum + row[c], 0));
    organisms.push(1 - row[rule.background]);
  });
  for (const list of [...byClass, ...byGroup, organisms]) list.sort((a, b) => b - a);
  return { byClass, byGroup, organisms };
}

/** How many of a descending list reach level. */
export function countAtLeast(descending: readonly number[], level: number): number {
  let lo = 0;
  let hi = descending.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (descending[mid] >= level) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A finding with class indices, before names are attached. */
interface IndexedFinding {
  label: string;
  members: number[];
  tiles: number;
}

/**
 * The decision from tile evidence. A class has enough evidence when its tiles (most likely class)
 * are at least minShare of the organism tiles and at least minTiles of them reach
 * presenceThreshold. Morphotypes with enough evidence are found on their own, except two or more of
 * one group: each of those that also has minTiles tiles at groupThreshold is found on its own (the
 * others are read as its look-alikes); when none has, the group is found (its members not told
 * apart). A group none of whose members has enough evidence alone is found when its tiles (those of
 * its members, each with the members' summed probability) have enough, with the members that have
 * tiles. Two or more findings, or enough evidence for the mixed class, make the field multiple. A
 * field without findings whose tiles show organisms (organism probability at presenceThreshold) on
 * referTiles or more is referred rather than answered "no organisms".
 */
export function decideFromEvidence(evidence: TileEvidence, rule: ResolvedRule): { label: string; findings: IndexedFinding[]; multiple: boolean; refer: boolean } {
  const { classes, background, mixed, groups, groupOf, presenceThreshold, minTiles, minShare } = rule;
  const tiles = evidence.byClass.map((list) => list.length);
  const organismTiles = tiles.reduce((sum, n, c) => (c === background ? sum : sum + n), 0);
  const supported = (list: readonly number[], level: number): boolean => list.length > 0 && list.length >= minShare * organismTiles && countAtLeast(list, level) >= minTiles;
  const enough = (c: number, level: number): boolean => supported(evidence.byClass[c], level);
  const present = tiles.flatMap((_, c) => (c !== background && c !== mixed && enough(c, presenceThreshold) ? [c] : []));
  const single = (c: number): IndexedFinding => ({ label: classes[c], members: [c], tiles: tiles[c] });
  const findings = present.filter((c) => groupOf[c] < 0).map(single);
  const groupLevel = Math.max(rule.groupThreshold, presenceThreshold);
  groups.forEach((group, g) => {
    const inGroup = present.filter((c) => groupOf[c] === g);
    if (inGroup.length === 0) {
      const seen = group.members.filter((c) => tiles[c] > 0);
      if (supported(evidence.byGroup[g], presenceThreshold)) findings.push({ label: group.name, members: seen, tiles: evidence.byGroup[g].length });
      return;
    }
    const strong = inGroup.length >= 2 ? inGroup.filter((c) => enough(c, groupLevel)) : inGroup;
    if (strong.length > 0) findings.push(...strong.map(single));
    else findings.push({ label: group.name, members: inGroup, tiles: inGroup.reduce((sum, c) => sum + tiles[c], 0) });
  });
  findings.sort((a, b) => b.tiles - a.tiles || a.members[0] - b.members[0]);
  const multiple = findings.length >= 2 || (mixed >= 0 && enough(mixed, presenceThreshold));
  const label = multiple && mixed >= 0 ? classes[mixed] : (findings[0]?.label ?? classes[background]);
  const refer = findings.length === 0 && !multiple && countAtLeast(evidence.organisms, presenceThreshold) >= rule.referTiles;
  return { label, findings, multiple, refer };
}

/**
 * A field's answer from its tiles (decideFromEvidence), with the field-level probabilities
 * (aggregateTiles) and the tile counts per class that the morphotypes and the tile map share.
 */
export function decideField(tileProbabilities: TileProbabilities, options: FieldDecisionOptions): FieldDecision {
  const { classes, backgroundClass, mixedClass, weights, counted } = options;
  if (tileProbabilities.length > 0 && tileProbabilities[0].length !== classes.length) {
    throw new Error(`expected ${classes.length} probabilities per tile (one per class), got ${tileProbabilities[0].length}`);
  }
  if (counted && counted.length !== tileProbabilities.length) throw new Error(`expected ${tileProbabilities.length} counted flags, got ${counted.length}`);
  const rule = resolveRule(options, classes, backgroundClass, mixedClass);
  const probabilities = aggregateTiles(tileProbabilities, { backgroundClass: rule.background, weights });
  const evidence = tileEvidence(tileProbabilities, rule, counted);
  const { label, findings, multiple, refer } = decideFromEvidence(evidence, rule);
  const countOf = (c: number): TileClassCount => ({ label: classes[c], tiles: evidence.byClass[c].length, confidentTiles: countAtLeast(evidence.byClass[c], rule.presenceThreshold) });
  const mostTilesFirst = (a: TileClassCount, b: TileClassCount): number => b.tiles - a.tiles || classes.indexOf(a.label) - classes.indexOf(b.label);
  const tileCounts = classes.map((_, c) => countOf(c)).filter((count) => count.tiles > 0).sort(mostTilesFirst);
  const morphotypes = findings
    .flatMap((finding) => finding.members.map(countOf))
    .sort(mostTilesFirst)
    .map(({ label, tiles, confidentTiles }) => ({ label, tileCount: tiles, confidentTiles }));
  const labelMembers = findings.find((finding) => finding.label === label)?.members ?? [classes.indexOf(label)];
  const shares = findings.map(({ members }) => {
    const counts = members.map(countOf);
    return counts.reduce((sum, c) => sum + c.confidentTiles, 0) / Math.max(1, counts.reduce((sum, c) => sum + c.tiles, 0));
  });
  return {
    label,
    probability: labelMembers.reduce((sum, c) => sum + probabilities[c], 0),
    probabilities,
    findings: findings.map((finding) => ({ label: finding.label, members: finding.members.map((c) => classes[c]) })),
    morphotypes,
    multiple,
    refer,
    tileCounts,
    evidenceShare: shares.length > 0 ? Math.min(...shares) : null,
  };
}

/**
 * The label tree's groups of confusable morphotypes: every node whose children are two or more
 * classes (not the background or mixed class), e.g. the Gram-positive cocci.
 */
export function groupsFromTree(tree: readonly LabelTreeNode[] | undefined, classes: readonly string[], exclude: readonly (string | undefined)[] = []): MorphotypeGroup[] {
  const groups: MorphotypeGroup[] = [];
  const visit = (node: LabelTreeNode): void => {
    const children = node.children ?? [];
    const members = children.filter((child) => !child.children?.length && classes.includes(child.name) && !exclude.includes(child.name)).map((child) => child.name);
    if (children.length > 0 && members.length === children.length && members.length >= 2) groups.push({ name: node.name, members });
    children.forEach(visit);
  };
  tree?.forEach(visit);
  return groups;
}
