import type { LabelTreeNode, MorphotypeGroup } from '../contract/index.ts';

/** The 9 field-level classes of the synthetic Gram-stain data, in their canonical order. */
export const CLASS_IDS = [
  'gpc_clusters',
  'gpc_chains',
  'gpc_diplococci',
  'gpr',
  'gnr',
  'gnc',
  'yeast',
  'no_bacteria',
  'polymicrobial',
] as const;

export type ClassId = (typeof CLASS_IDS)[number];

/** A class that is a single organism morphotype (every class except no_bacteria and polymicrobial). */
export type Morphotype = Exclude<ClassId, 'no_bacteria' | 'polymicrobial'>;

export const MORPHOTYPES: readonly Morphotype[] = ['gpc_clusters', 'gpc_chains', 'gpc_diplococci', 'gpr', 'gnr', 'gnc', 'yeast'];

export type GramGroup = 'GPC' | 'GPR' | 'GNR' | 'GNC' | 'yeast' | 'no_bacteria' | 'polymicrobial';

export type GramReaction = 'positive' | 'negative';

export interface ClassInfo {
  id: ClassId;
  index: number;
  displayName: string;
  gramGroup: GramGroup;
  /** Gram reaction of the organisms, null for the two classes that are not one morphotype. */
  gram: GramReaction | null;
}

const CLASS_DETAILS: Record<ClassId, Omit<ClassInfo, 'id' | 'index'>> = {
  gpc_clusters: { displayName: 'Gram-positive cocci in clusters', gramGroup: 'GPC', gram: 'positive' },
  gpc_chains: { displayName: 'Gram-positive cocci in chains and pairs', gramGroup: 'GPC', gram: 'positive' },
  gpc_diplococci: { displayName: 'Gram-positive lancet-shaped diplococci', gramGroup: 'GPC', gram: 'positive' },
  gpr: { displayName: 'Gram-positive rods', gramGroup: 'GPR', gram: 'positive' },
  gnr: { displayName: 'Gram-negative rods', gramGroup: 'GNR', gram: 'negative' },
  gnc: { displayName: 'Gram-negative diplococci', gramGroup: 'GNC', gram: 'negative' },
  yeast: { displayName: 'Yeast', gramGroup: 'yeast', gram: 'positive' },
  no_bacteria: { displayName: 'No organisms seen', gramGroup: 'no_bacteria', gram: null },
  polymicrobial: { displayName: 'Polymicrobial', gramGroup: 'polymicrobial', gram: null },
};

export const CLASSES: readonly ClassInfo[] = CLASS_IDS.map((id, index) => ({ id, index, ...CLASS_DETAILS[id] }));

const leaf = (id: ClassId): LabelTreeNode => ({ name: id, displayName: CLASS_DETAILS[id].displayName });

/**
 * Gram group, then morphotype class. The leaves are exactly the 9 classes; where group and class
 * coincide (yeast, no_bacteria, polymicrobial) the group node is the leaf itself.
 */
export const LABEL_TREE: readonly LabelTreeNode[] = [
  { name: 'GPC', displayName: 'Gram-positive cocci', children: [leaf('gpc_clusters'), leaf('gpc_chains'), leaf('gpc_diplococci')] },
  { name: 'GPR', displayName: 'Gram-positive rods', children: [leaf('gpr')] },
  { name: 'GNR', displayName: 'Gram-negative rods', children: [leaf('gnr')] },
  { name: 'GNC', displayName: 'Gram-negative cocci', children: [leaf('gnc')] },
  leaf('yeast'),
  leaf('no_bacteria'),
  leaf('polymicrobial'),
];

/**
 * Morphotypes a tile model confuses within one Gram group, answered together by the whole-field
 * decision when it cannot tell them apart: the three Gram-positive cocci (arrangements), and the
 * Gram-negative rods and cocci (short pink rods and coccobacilli look alike on a phone photo).
 */
export const MORPHOTYPE_GROUPS: readonly MorphotypeGroup[] = [
  { name: 'GPC', members: MORPHOTYPES.filter((m) => CLASS_DETAILS[m].gramGroup === 'GPC') },
  { name: 'Gram-negative', members: MORPHOTYPES.filter((m) => CLASS_DETAILS[m].gram === 'negative') },
];

export function isClassId(value: string): value is ClassId {
  return (CLASS_IDS as readonly string[]).includes(value);
}

export function classInfo(id: string): ClassInfo {
  if (!isClassId(id)) throw new Error(`unknown class "${id}" (expected one of ${CLASS_IDS.join(', ')})`);
  return CLASSES[CLASS_IDS.indexOf(id)];
}

export function isMorphotype(id: ClassId): id is Morphotype {
  return (MORPHOTYPES as readonly string[]).includes(id);
}

/**
 * Values of the per-pixel label mask. Organisms use their class index + 1 (1..7), so
 * `mask === classInfo(c).index + 1` selects the pixels of morphotype c.
 */
export const MASK_LABELS = ['background', ...MORPHOTYPES, 'host_cell', 'debris'] as const;

export type MaskLabel = (typeof MASK_LABELS)[number];

export function maskValueOf(label: MaskLabel): number {
  return MASK_LABELS.indexOf(label);
}

export function isOrganismMaskValue(value: number): boolean {
  return value >= 1 && value <= MORPHOTYPES.length;
}
