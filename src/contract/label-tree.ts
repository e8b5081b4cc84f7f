/**
 * A node of a label tree: a class (a leaf, whose name is the class label) or a group of classes
 * (e.g. Gram group → morphotype). Models, projects and the synthetic data describe their classes so.
 */
export interface LabelTreeNode {
  name: string;
  /** What people see (e.g. "Gram-positive cocci in clusters"); the name is the stored label. */
  displayName?: string;
  children?: LabelTreeNode[];
}
