import type { LabelTreeNode } from '../contract/index.ts';
import { invalid } from './errors.ts';
import { checkText } from './text.ts';

/** Choices an annotator always has besides the leaf classes. 'skip' is no label at all. */
export const EXTRA_CHOICES = ['unclear', 'skip'] as const;
export type ExtraChoice = (typeof EXTRA_CHOICES)[number];

export const MAX_CLASS_TREE_DEPTH = 8;
export const MAX_CLASS_TREE_NODES = 1000;
const MAX_CLASS_NAME_LENGTH = 200;

/**
 * Checks a class tree as an admin sent it (an array of {name, displayName?, children?} nodes) and returns a clean
 * copy: leaf names are the labels, so they must be unique and must not be an extra choice; there
 * must be at least two of them.
 */
export function checkClassTree(tree: unknown): LabelTreeNode[] {
  let nodes = 0;
  const leaves = new Set<string>();

  const checkNodes = (value: unknown, where: string, depth: number): LabelTreeNode[] => {
    if (!Array.isArray(value) || value.length === 0) throw invalid(`${where} must be a non-empty array of {name, children?} nodes`);
    if (depth > MAX_CLASS_TREE_DEPTH) throw invalid(`the class tree is deeper than ${MAX_CLASS_TREE_DEPTH} levels`);
    const siblings = new Set<string>();
    return value.map((node: unknown, i): LabelTreeNode => {
      const at = `${where}[${i}]`;
      if (typeof node !== 'object' || node === null || Array.isArray(node)) throw invalid(`${at} must be an object {name, children?}`);
      const { name, displayName, children, ...rest } = node as Record<string, unknown>;
      const unknownKeys = Object.keys(rest);
      if (unknownKeys.length > 0) throw invalid(`${at} has unknown field(s) ${unknownKeys.join(', ')}`);
      if (typeof name !== 'string') throw invalid(`${at}.name must be a string`);
      checkText(`${at}.name`, name, MAX_CLASS_NAME_LENGTH);
      if (displayName !== undefined && typeof displayName !== 'string') throw invalid(`${at}.displayName must be a string`);
      if (displayName !== undefined) checkText(`${at}.displayName`, displayName, MAX_CLASS_NAME_LENGTH);
      const shown = displayName === undefined ? {} : { displayName };
      if (siblings.has(name)) throw invalid(`${at}: "${name}" appears twice under the same parent`);
      siblings.add(name);
      if (++nodes > MAX_CLASS_TREE_NODES) throw invalid(`the class tree has more than ${MAX_CLASS_TREE_NODES} nodes`);
      if (children === undefined) {
        if ((EXTRA_CHOICES as readonly string[]).includes(name)) throw invalid(`"${name}" is a reserved choice and cannot be a class`);
        if (leaves.has(name)) throw invalid(`the class "${name}" appears twice in the tree`);
        leaves.add(name);
        return { name, ...shown };
      }
      return { name, ...shown, children: checkNodes(children, `${at}.children`, depth + 1) };
    });
  };

  const checked = checkNodes(tree, 'classTree', 1);
  if (leaves.size < 2) throw invalid('the class tree needs at least two classes (leaves)');
  return checked;
}

/** The leaf class names, depth first in the order given. */
export function leafClasses(tree: readonly LabelTreeNode[]): string[] {
  return tree.flatMap((node) => (node.children ? leafClasses(node.children) : [node.name]));
}
