import type { LabelTreeNode } from '../contract/index.ts';

/** For every tree depth above the leaves: the names of that level and, per class, the ancestor it falls under. */
export interface TreeLevel {
  depth: number;
  names: string[];
  /** classToGroup[classIndex] = index into names. */
  classToGroup: Int32Array;
}

/**
 * The coarser levels of a label tree over the model's classes (the leaves). A leaf shallower than
 * a level stands for itself there, so every level partitions all classes.
 */
export function treeLevels(tree: readonly LabelTreeNode[], classes: readonly string[]): TreeLevel[] {
  const paths = new Map<string, string[]>();
  const walk = (nodes: readonly LabelTreeNode[], ancestors: string[]) => {
    for (const node of nodes) {
      const path = [...ancestors, node.name];
      if (node.children && node.children.length > 0) walk(node.children, path);
      else {
        if (paths.has(node.name)) throw new Error(`label tree: class "${node.name}" appears twice`);
        paths.set(node.name, path);
      }
    }
  };
  walk(tree, []);
  const missing = classes.filter((name) => !paths.has(name));
  if (missing.length > 0) throw new Error(`label tree does not place class(es) ${missing.join(', ')}`);
  const extra = [...paths.keys()].filter((name) => !classes.includes(name));
  if (extra.length > 0) throw new Error(`label tree has leaves that are not classes of the model: ${extra.join(', ')}`);
  const depth = Math.max(...classes.map((name) => paths.get(name)!.length));
  const levels: TreeLevel[] = [];
  for (let d = 0; d < depth - 1; d++) {
    const names: string[] = [];
    const classToGroup = Int32Array.from(classes, (name) => {
      const path = paths.get(name)!;
      const group = path[Math.min(d, path.length - 1)];
      let index = names.indexOf(group);
      if (index === -1) index = names.push(group) - 1;
      return index;
    });
    levels.push({ depth: d, names, classToGroup });
  }
  return levels;
}

/** Probabilities summed up the tree: P(group) = Σ P(classes in it), so levels stay consistent. */
export function aggregateProbabilities(probabilities: Float32Array, level: TreeLevel): Float32Array {
  const k = level.classToGroup.length;
  const g = level.names.length;
  const rows = probabilities.length / k;
  const out = new Float32Array(rows * g);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < k; c++) out[r * g + level.classToGroup[c]] += probabilities[r * k + c];
  }
  return out;
}
