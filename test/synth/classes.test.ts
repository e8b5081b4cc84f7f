import { describe, expect, it } from 'vitest';
import type { LabelTreeNode } from '../../src/contract/index.ts';
import {
  CLASS_IDS,
  CLASSES,
  LABEL_TREE,
  MASK_LABELS,
  MORPHOTYPE_GROUPS,
  MORPHOTYPES,
  classInfo,
  isOrganismMaskValue,
  maskValueOf,
} from '../../src/synth/index.ts';

const leaves = (nodes: readonly LabelTreeNode[]): string[] => nodes.flatMap((n) => (n.children ? leaves(n.children) : [n.name]));

describe('synthetic class list', () => {
  it('has the 9 classes in the canonical order with display names and Gram groups', () => {
    expect(CLASS_IDS).toEqual(['gpc_clusters', 'gpc_chains', 'gpc_diplococci', 'gpr', 'gnr', 'gnc', 'yeast', 'no_bacteria', 'polymicrobial']);
    expect(CLASSES.map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(classInfo('gnc')).toMatchObject({ gramGroup: 'GNC', gram: 'negative', displayName: 'Gram-negative diplococci' });
    expect(classInfo('gpr').gram).toBe('positive');
    expect(classInfo('polymicrobial').gram).toBeNull();
  });

  it('has a label tree whose leaves are exactly the classes, grouped by Gram group', () => {
    expect(leaves(LABEL_TREE).sort()).toEqual([...CLASS_IDS].sort());
    expect(LABEL_TREE.map((n) => n.name)).toEqual(['GPC', 'GPR', 'GNR', 'GNC', 'yeast', 'no_bacteria', 'polymicrobial']);
    expect(LABEL_TREE[0].children?.map((n) => n.name)).toEqual(['gpc_clusters', 'gpc_chains', 'gpc_diplococci']);
  });

  it('maps organism morphotypes to mask value class index + 1, host cells and debris after them', () => {
    for (const m of MORPHOTYPES) {
      expect(maskValueOf(m)).toBe(classInfo(m).index + 1);
      expect(isOrganismMaskValue(maskValueOf(m))).toBe(true);
    }
    expect(MASK_LABELS[0]).toBe('background');
    expect(isOrganismMaskValue(maskValueOf('host_cell'))).toBe(false);
    expect(isOrganismMaskValue(maskValueOf('debris'))).toBe(false);
  });

  it('rejects unknown classes with the list of valid ones', () => {
    expect(() => classInfo('gpc')).toThrow(/unknown class "gpc" \(expected one of gpc_clusters/);
  });

  it('groups the morphotypes a tile model confuses: the Gram-positive cocci, and the Gram-negative rods and cocci', () => {
    expect(MORPHOTYPE_GROUPS).toEqual([
      { name: 'GPC', members: ['gpc_clusters', 'gpc_chains', 'gpc_diplococci'] },
      { name: 'Gram-negative', members: ['gnr', 'gnc'] },
    ]);
  });
});
