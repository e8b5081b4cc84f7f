/** What the audit trail stores of a model's answer: the output's JSON, read back and written in one fixed shape. */
import type { ClassPrediction, ClassProbability, FieldSummary, LabelTreeNode, Refusal } from '../contract/index.ts';

/** A whole-field prediction's summary as recorded, with whether its tile map was stored. */
export interface StoredFieldSummary extends FieldSummary {
  tileMap: boolean;
}

/** What the model said, as stored in the audit trail and returned to the client: its classes, or its refusal. */
export type PredictionOutput = AnsweredOutput | RefusedOutput;

export interface AnsweredOutput extends ClassPrediction {
  tree?: LabelTreeNode[];
  /** Absent for a single image. */
  field?: StoredFieldSummary;
  refusal?: undefined;
}

/** The model could not read the image: the reason, no class. */
export interface RefusedOutput {
  refusal: Refusal;
  tree?: LabelTreeNode[];
}

/** Audit rows written before the class probability's label was spelt `label` have `name`. */
type StoredClassProbability = ClassProbability | { name: string; probability: number };

function classProbabilityOf(stored: StoredClassProbability): ClassProbability {
  return 'label' in stored ? stored : { label: stored.name, probability: stored.probability };
}

export function readOutput(json: string): PredictionOutput {
  const stored = JSON.parse(json) as RefusedOutput | (Omit<AnsweredOutput, 'classes' | 'top'> & { classes: StoredClassProbability[]; top: StoredClassProbability });
  if (stored.refusal) return stored as RefusedOutput;
  return { ...stored, classes: stored.classes.map(classProbabilityOf), top: classProbabilityOf(stored.top) };
}

/**
 * The answer's own probability for the audit: a class's or a single-morphotype field's; none for a
 * field with several morphotypes, whose answer comes from its tile counts (the mixed class's
 * averaged tile probability says nothing of it).
 */
export function answerProbability(output: AnsweredOutput): number | null {
  return output.field?.multiple ? null : output.top.probability;
}

/** A field's evidence in words, e.g. "gpc_clusters: 14 of 16 tiles confident; gnr: 6 of 7 tiles confident". */
export function fieldEvidence(field: StoredFieldSummary): string {
  if (field.morphotypes.length === 0) return 'no morphotype present';
  return field.morphotypes.map((m) => `${m.label}: ${m.confidentTiles === undefined ? `${m.tileCount} tiles` : `${m.confidentTiles} of ${m.tileCount} tiles confident`}`).join('; ');
}

/** The output as written: only the known fields, in a fixed order. */
export function outputJson(output: PredictionOutput): string {
  const tree = output.tree === undefined ? {} : { tree: output.tree };
  if (output.refusal) return JSON.stringify({ refusal: output.refusal, ...tree });
  const { classes, top, uncertain, field } = output;
  return JSON.stringify({ classes, top, uncertain, ...tree, ...(field === undefined ? {} : { field }) });
}
