import { h, replace, uniqueId } from '../../dom.ts';
import { leafNames, parseTree } from '../../label-tree.ts';
import type { LabelTreeNode } from '../../../contract/index.ts';

/** A node as the form edits it: a class, or a group (children, possibly none yet). */
interface EditedNode {
  name: string;
  displayName: string;
  children?: EditedNode[];
}

export type TreeCheck = { tree: LabelTreeNode[]; classes: string[] } | { problem: string };

/** The JSON text's tree, or what is wrong with it. The server checks the rest (unique names, reserved words, limits). */
export function checkTreeText(text: string): TreeCheck {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { problem: `Not valid JSON: ${(error as Error).message}` };
  }
  const tree = parseTree(value);
  if (!tree) return { problem: 'Expected a non-empty array of {"name": …, "children": [...]} nodes.' };
  const classes = leafNames(tree);
  if (classes.length < 2) return { problem: 'The tree needs at least two classes (leaves).' };
  return { tree, classes };
}

/** The form's nodes as the API's tree: names trimmed, empty display names left out. */
export function treeOfEdited(nodes: readonly EditedNode[]): LabelTreeNode[] {
  return nodes.map((node) => {
    const displayName = node.displayName.trim();
    return { name: node.name.trim(), ...(displayName ? { displayName } : {}), ...(node.children ? { children: treeOfEdited(node.children) } : {}) };
  });
}

function editedOfTree(nodes: readonly LabelTreeNode[]): EditedNode[] {
  return nodes.map((node) => ({ name: node.name, displayName: node.displayName ?? '', ...(node.children ? { children: editedOfTree(node.children) } : {}) }));
}

/** Moves the item at `index` one place up (-1) or down (+1); a move past either end changes nothing. */
export function move<T>(items: T[], index: number, by: -1 | 1): boolean {
  const to = index + by;
  if (to < 0 || to >= items.length) return false;
  [items[index], items[to]] = [items[to], items[index]];
  return true;
}

export interface ClassTreeEditor {
  element: HTMLElement;
  /** The tree to send, or what is wrong with it. */
  check(): TreeCheck;
  /** The control to focus when the tree has a problem. */
  focusTarget(): HTMLElement;
}

/**
 * A form for the class tree: classes and groups of classes, each with a name (the stored label) and
 * an optional display name, added, removed and moved up or down; the same tree as JSON under
 * "Edit as JSON", kept in step both ways.
 */
export function classTreeEditor(initial: readonly LabelTreeNode[]): ClassTreeEditor {
  let nodes = editedOfTree(initial);
  const ids = new WeakMap<EditedNode, string>();
  const idOf = (node: EditedNode) => ids.get(node) ?? (ids.set(node, uniqueId('node')), ids.get(node)!);
  const list = h('ol', { class: 'tree-editor-list' });
  const status = h('p', { class: 'hint', attrs: { 'aria-live': 'polite' } });
  const json = h('textarea', { name: 'classTree', rows: 12, spellcheck: false });
  const jsonPanel = h('details', { class: 'tree-json' }, h('summary', {}, 'Edit as JSON'), h('div', { class: 'field' }, h('label', { htmlFor: (json.id = uniqueId('tree-json')) }, 'Class tree (JSON)'), json));

  const check = (): TreeCheck => checkTreeText(json.value);
  const showStatus = () => {
    const result = check();
    status.textContent = 'problem' in result ? result.problem : `${result.classes.length} classes: ${result.classes.join(', ')}`;
    status.classList.toggle('hint-error', 'problem' in result);
  };
  const syncJson = () => {
    json.value = JSON.stringify(treeOfEdited(nodes), null, 2);
    showStatus();
  };

  /** Rebuilds the rows after a change of structure, then focuses the first of `focus` (data-focus values) that can take it. */
  const render = (...focus: string[]) => {
    replace(list, nodes.map((node, i) => row(node, nodes, i)));
    syncJson();
    for (const target of focus) {
      const control = list.querySelector<HTMLButtonElement>(`[data-focus="${target}"]`);
      if (control && !control.disabled) return control.focus();
    }
  };

  const row = (node: EditedNode, siblings: EditedNode[], index: number): HTMLElement => {
    const isGroup = node.children !== undefined;
    const id = idOf(node);
    const nameInput = h('input', { type: 'text', value: node.name, maxLength: 200, autocomplete: 'off', spellcheck: false, attrs: { 'aria-label': `${isGroup ? 'Group' : 'Class'} name (stored label)` } });
    const displayInput = h('input', { type: 'text', value: node.displayName, maxLength: 200, autocomplete: 'off', placeholder: 'Display name (optional)', attrs: { 'aria-label': `${isGroup ? 'Group' : 'Class'} display name` } });
    const buttons: HTMLButtonElement[] = [];
    // Each button names its row ("Up GNC"), also while the name is being typed.
    const labelButtons = () => {
      for (const control of buttons) control.setAttribute('aria-label', `${control.textContent} ${node.name.trim() || `new ${isGroup ? 'group' : 'class'}`}`);
    };
    nameInput.addEventListener('input', () => ((node.name = nameInput.value), labelButtons(), syncJson()));
    displayInput.addEventListener('input', () => ((node.displayName = displayInput.value), syncJson()));
    const button = (text: string, action: string, onPress: () => void, disabled = false) => {
      const control = h('button', { type: 'button', class: 'button button-small', disabled, attrs: { 'data-focus': `${action}-${id}` }, on: { click: onPress } }, text);
      buttons.push(control);
      return control;
    };
    // The moved row keeps the focus: on the same button, or on the other once it reaches an end.
    const moveBy = (by: -1 | 1) => () => {
      if (move(siblings, index, by)) render(`${by < 0 ? 'up' : 'down'}-${id}`, `${by < 0 ? 'down' : 'up'}-${id}`);
    };
    const element = h(
      'li',
      { class: `tree-node ${isGroup ? 'tree-group' : 'tree-class'}` },
      h('div', { class: 'tree-node-fields' }, h('span', { class: 'tree-node-kind' }, isGroup ? 'Group' : 'Class'), nameInput, displayInput),
      h(
        'div',
        { class: 'tree-node-actions' },
        button('Up', 'up', moveBy(-1), index === 0),
        button('Down', 'down', moveBy(1), index === siblings.length - 1),
        button('Remove', 'remove', () => (siblings.splice(index, 1), render())),
        isGroup && button('Add class to group', 'add', () => (node.children!.push({ name: '', displayName: '' }), render())),
      ),
      isGroup && h('ol', { class: 'tree-editor-list' }, node.children!.map((child, i) => row(child, node.children!, i))),
    );
    labelButtons();
    return element;
  };

  json.addEventListener('input', () => {
    const result = check();
    showStatus();
    // Valid JSON replaces the form's tree; while it is being typed the form keeps the last valid one.
    if (!('problem' in result)) {
      nodes = editedOfTree(result.tree);
      replace(list, nodes.map((node, i) => row(node, nodes, i)));
    }
  });

  const addClass = h('button', { type: 'button', class: 'button', on: { click: () => (nodes.push({ name: '', displayName: '' }), render(), focusLast()) } }, 'Add class');
  const addGroup = h('button', { type: 'button', class: 'button', on: { click: () => (nodes.push({ name: '', displayName: '', children: [] }), render(), focusLast()) } }, 'Add group');
  const focusLast = () => list.querySelector<HTMLLIElement>(':scope > li:last-child input')?.focus();
  render();

  const element = h(
    'fieldset',
    { class: 'tree-editor' },
    h('legend', {}, 'Class tree'),
    h('p', { class: 'hint' }, 'The classes annotators choose from, optionally in groups (e.g. Gram-positive → cocci in clusters). The name is the stored label; the display name is what people see. “Unclear” and “Skip” are always offered.'),
    list,
    h('div', { class: 'tree-editor-add' }, addClass, addGroup),
    status,
    jsonPanel,
  );
  return { element, check, focusTarget: () => (jsonPanel.open ? json : (list.querySelector('input') ?? addClass)) };
}
