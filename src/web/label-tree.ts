import type { ClassProbability, LabelTreeNode } from '../contract/index.ts';

/** A node of the label tree with its probability: a class's own, or the sum over a group's classes. */
export interface ProbabilityNode {
  name: string;
  /** What people see: the node's displayName, or its name. */
  displayName: string;
  probability: number;
  children: ProbabilityNode[];
}

function isTreeNode(value: unknown): value is LabelTreeNode {
  if (typeof value !== 'object' || value === null) return false;
  const node = value as Record<string, unknown>;
  if (typeof node.name !== 'string') return false;
  if (node.displayName !== undefined && typeof node.displayName !== 'string') return false;
  return node.children === undefined || (Array.isArray(node.children) && node.children.every(isTreeNode));
}

/** The tree as a model or project sent it, or null when it is missing or not a [{name, displayName?, children?}] tree. */
export function parseTree(value: unknown): LabelTreeNode[] | null {
  return Array.isArray(value) && value.length > 0 && value.every(isTreeNode) ? value : null;
}

export function isGroup(node: LabelTreeNode): boolean {
  return node.children !== undefined && node.children.length > 0;
}

/** Leaf names in tree order. */
export function leafNames(tree: readonly LabelTreeNode[]): string[] {
  return tree.flatMap((node) => (isGroup(node) ? leafNames(node.children!) : [node.name]));
}

/** name → displayName for every node that has one. */
export function displayNames(tree: readonly LabelTreeNode[] | null): Map<string, string> {
  const names = new Map<string, string>();
  const walk = (nodes: readonly LabelTreeNode[]) => {
    for (const node of nodes) {
      if (node.displayName) names.set(node.name, node.displayName);
      if (node.children) walk(node.children);
    }
  };
  if (tree) walk(tree);
  return names;
}

const CHOICE_NAMES: Readonly<Record<string, string>> = { unclear: 'Unclear', skip: 'Skip' };

/** A project's label as people see it: a class's or group's display name, "Unclear" and "Skip" for the annotators' extra choices, else the label itself. */
export function labelNamer(tree: readonly LabelTreeNode[] | null): (label: string) => string {
  const names = displayNames(tree);
  return (label) => names.get(label) ?? CHOICE_NAMES[label] ?? label;
}

const byProbability = (a: ProbabilityNode, b: ProbabilityNode) => b.probability - a.probability;

/**
 * The classes' probabilities placed on the label tree, most probable first at every level. Classes
 * the tree does not place are added as top-level rows; without a tree the result is a flat list.
 * A group with a single child collapses into that child ("Gram-negative cocci" over only
 * "Gram-negative diplococci" reads as the diplococci alone): the group adds nothing.
 */
export function probabilityTree(classes: readonly ClassProbability[], tree: unknown): ProbabilityNode[] {
  const probabilityOf = new Map(classes.map((c) => [c.label, c.probability]));
  const placed = new Set<string>();
  const build = (node: LabelTreeNode): ProbabilityNode => {
    const displayName = node.displayName ?? node.name;
    if (!isGroup(node)) {
      placed.add(node.name);
      return { name: node.name, displayName, probability: probabilityOf.get(node.name) ?? 0, children: [] };
    }
    const children = node.children!.map(build).sort(byProbability);
    if (children.length === 1) return children[0];
    return { name: node.name, displayName, probability: children.reduce((sum, child) => sum + child.probability, 0), children };
  };
  const roots = (parseTree(tree) ?? []).map(build);
  for (const c of classes) if (!placed.has(c.label)) roots.push({ name: c.label, displayName: c.label, probability: c.probability, children: [] });
  return roots.sort(byProbability);
}
