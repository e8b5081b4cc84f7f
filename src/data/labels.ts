import type { LabelTreeNode } from '../contract/index.ts';

/**
 * A label-tree node used as an image's label: the image is known to show one of `classes` (the
 * node's leaves) but not which one, e.g. "GPC" for an image of some Gram-positive coccus.
 */
export interface CoarseLabel {
  name: string;
  classes: string[];
}

/** The names a label tree lets a dataset use as labels. */
export interface LabelVocabulary {
  /** The tree's leaves, in tree order: the model's classes. */
  classes: string[];
  /** Nodes over two or more classes, in tree order. */
  coarse: CoarseLabel[];
  /** Nodes over a single class (e.g. "GPR" over "gpr"), which stand for that class. */
  aliases: Map<string, string>;
}

const MAX_TREE_DEPTH = 8;

/**
 * A label tree as a user wrote it (JSON): an array of {name, children?} nodes, or an object with
 * such an array under "labelTree" (a model bundle's metadata.json). Other fields (displayName) are kept.
 */
export function parseLabelTree(value: unknown, source: string): LabelTreeNode[] {
  const nodes = isRecord(value) && 'labelTree' in value ? value.labelTree : value;
  const check = (node: unknown, where: string, depth: number): void => {
    if (depth > MAX_TREE_DEPTH) throw new Error(`label tree ${source}: deeper than ${MAX_TREE_DEPTH} levels at ${where}`);
    if (!isRecord(node) || typeof node.name !== 'string' || node.name.trim() === '') {
      throw new Error(`label tree ${source}: ${where} must be an object with a non-empty "name"`);
    }
    if (node.children === undefined) return;
    if (!Array.isArray(node.children)) throw new Error(`label tree ${source}: "children" of "${node.name}" must be an array`);
    node.children.forEach((child, i) => check(child, `${where} > ${node.name}[${i}]`, depth + 1));
  };
  if (!Array.isArray(nodes) || nodes.length === 0) {
    throw new Error(`label tree ${source}: expected a non-empty array of {"name", "children"} nodes (or {"labelTree": [...]})`);
  }
  nodes.forEach((node, i) => check(node, `node ${i}`, 1));
  return nodes as LabelTreeNode[];
}

/** Leaves, coarse nodes and single-class aliases of a tree; a name may only name one set of classes. */
export function labelVocabulary(tree: readonly LabelTreeNode[]): LabelVocabulary {
  const classes: string[] = [];
  const nodes: CoarseLabel[] = [];
  const meaning = new Map<string, string>();
  const claim = (name: string, leaves: string[]) => {
    const key = leaves.join('\n');
    const earlier = meaning.get(name);
    if (earlier !== undefined && earlier !== key) throw new Error(`label tree: "${name}" names two different nodes`);
    meaning.set(name, key);
  };
  const walk = (node: LabelTreeNode): string[] => {
    if (!node.children || node.children.length === 0) {
      if (classes.includes(node.name)) throw new Error(`label tree: class "${node.name}" appears twice`);
      classes.push(node.name);
      claim(node.name, [node.name]);
      return [node.name];
    }
    const index = nodes.push({ name: node.name, classes: [] }) - 1;
    nodes[index].classes = node.children.flatMap(walk);
    claim(node.name, nodes[index].classes);
    return nodes[index].classes;
  };
  tree.forEach(walk);
  if (classes.length < 2) throw new Error(`label tree: a classifier needs at least 2 classes (leaves), found ${classes.length}`);
  const aliases = new Map(nodes.filter((n) => n.classes.length === 1 && n.name !== n.classes[0]).map((n) => [n.name, n.classes[0]]));
  const coarse = nodes.filter((n) => n.classes.length > 1);
  return { classes, coarse, aliases };
}

/**
 * What a label written in a dataset means under a tree: a class (a leaf, or a node over a single
 * class), a coarse label, or undefined for a name the tree does not have.
 */
function resolveLabel(vocabulary: LabelVocabulary, name: string): { class: string } | { coarse: CoarseLabel } | undefined {
  if (vocabulary.classes.includes(name)) return { class: name };
  const alias = vocabulary.aliases.get(name);
  if (alias !== undefined) return { class: alias };
  const coarse = vocabulary.coarse.find((node) => node.name === name);
  return coarse ? { coarse } : undefined;
}

/** The names a label may take, for "unknown label" messages. */
function describeVocabulary(vocabulary: LabelVocabulary): string {
  const nodes = [...vocabulary.coarse.map((n) => n.name), ...vocabulary.aliases.keys()];
  return `classes: ${vocabulary.classes.join(', ')}${nodes.length > 0 ? `; tree nodes: ${nodes.join(', ')}` : ''}`;
}

/** Checks that an explicit class list is exactly the tree's leaves (in any order). */
function checkClassesMatchTree(classes: readonly string[], vocabulary: LabelVocabulary): void {
  const missing = vocabulary.classes.filter((name) => !classes.includes(name));
  const extra = classes.filter((name) => !vocabulary.classes.includes(name));
  if (missing.length > 0 || extra.length > 0 || classes.length !== vocabulary.classes.length) {
    throw new Error(`the classes (${classes.join(', ')}) are not the leaves of the label tree (${vocabulary.classes.join(', ')})`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads the labels of one dataset against a tree, remembering which coarse labels it uses. */
export interface TreeLabelReader {
  /** The dataset's classes: the given list, else the tree's leaves. */
  classes: string[];
  /** The label as stored: a class name (aliases resolved) or a coarse label's name; undefined when unknown. */
  read(name: string): string | undefined;
  /** The allowed names, for an "unknown label" message. */
  allowed: string;
  /** The coarse labels read so far, in tree order. */
  coarseLabels(): CoarseLabel[];
}

export function treeLabelReader(tree: readonly LabelTreeNode[], classes?: readonly string[]): TreeLabelReader {
  const vocabulary = labelVocabulary(tree);
  if (classes) checkClassesMatchTree(classes, vocabulary);
  const used = new Set<string>();
  return {
    classes: classes ? [...classes] : vocabulary.classes,
    allowed: describeVocabulary(vocabulary),
    read(name) {
      const meaning = resolveLabel(vocabulary, name);
      if (!meaning) return undefined;
      if ('class' in meaning) return meaning.class;
      used.add(meaning.coarse.name);
      return meaning.coarse.name;
    },
    coarseLabels: () => vocabulary.coarse.filter((node) => used.has(node.name)).map((node) => ({ name: node.name, classes: [...node.classes] })),
  };
}
