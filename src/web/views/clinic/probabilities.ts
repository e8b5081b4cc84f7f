import { h } from '../../dom.ts';
import { percent } from '../../format.ts';
import { probabilityTree, type ProbabilityNode } from '../../label-tree.ts';
import type { ClassProbability } from '../../../contract/index.ts';

function row(node: ProbabilityNode, topName: string): HTMLLIElement {
  const fill = h('span', { class: 'bar-fill' });
  fill.style.width = `${Math.max(0, Math.min(1, node.probability)) * 100}%`;
  const kind = node.children.length > 0 ? 'group' : 'class';
  return h(
    'li',
    { class: `prob prob-${kind}${node.name === topName ? ' prob-top' : ''}${node.probability < 0.01 ? ' prob-faint' : ''}`, attrs: { 'data-class': node.name, 'data-probability': String(node.probability) } },
    h(
      'div',
      { class: 'prob-row' },
      h('span', { class: 'prob-name' }, node.displayName),
      h('span', { class: 'bar', attrs: { 'aria-hidden': 'true' } }, fill),
      h('span', { class: 'prob-value' }, percent(node.probability)),
    ),
    node.children.length > 0 ? h('ul', { class: 'prob-list' }, node.children.map((child) => row(child, topName))) : null,
  );
}

/** Bars along the label tree: Gram groups with their summed probability, their classes beneath. */
export function probabilityBars(classes: readonly ClassProbability[], tree: unknown, topName: string): HTMLElement {
  return h(
    'section',
    { class: 'probabilities', attrs: { 'aria-label': 'Probabilities by group and class' } },
    h('h3', {}, 'Probabilities'),
    h('ul', { class: 'prob-list' }, probabilityTree(classes, tree).map((node) => row(node, topName))),
  );
}
