/** From several fields of one specimen (slide) to the specimen's answer. */
import type { FieldDecision } from './decision.ts';

export interface SpecimenOptions {
  /** The label when no field shows organisms (e.g. 'no_bacteria'). */
  backgroundClass: string;
  /** The label when two or more morphotypes are present across the fields (e.g. 'polymicrobial'). */
  mixedClass?: string;
  /** Least number of fields a finding must be in to count for the specimen. Default 1. */
  minFields?: number;
}

export interface SpecimenMorphotype {
  label: string;
  /** Fields in which it is present. */
  fieldCount: number;
  /** Tiles it is present on, over all fields. */
  tileCount: number;
}

export interface SpecimenDecision {
  label: string;
  /** Mean of the probabilities of the fields that show organisms (of all fields when none does). */
  probabilities: number[];
  /** Present morphotypes, in most fields first (then most tiles). */
  morphotypes: SpecimenMorphotype[];
  multiple: boolean;
  fields: number;
}

interface SpecimenFinding {
  label: string;
  members: Set<string>;
  fieldCount: number;
}

/**
 * Combines field answers. A finding (a morphotype, or a group whose members a field could not tell
 * apart) in at least minFields fields is present in the specimen; a group is dropped when one of its
 * members was found on its own in other fields (the group's tiles were that member's). Two or more
 * findings (in one field or spread over several), or a field that is itself mixed, make the specimen
 * mixed. Empty fields do not dilute the probabilities of infected ones.
 */
export function combineFields(fields: readonly FieldDecision[], options: SpecimenOptions): SpecimenDecision {
  const { backgroundClass, mixedClass, minFields = 1 } = options;
  if (fields.length === 0) throw new Error('no fields to combine');
  if (!(Number.isInteger(minFields) && minFields >= 1)) throw new Error(`minFields must be a positive integer (got ${minFields})`);
  const k = fields[0].probabilities.length;
  if (fields.some((f) => f.probabilities.length !== k)) throw new Error('every field must have the same number of class probabilities');

  const findings = new Map<string, SpecimenFinding>();
  const tally = new Map<string, SpecimenMorphotype>();
  for (const field of fields) {
    for (const { label, members } of field.findings) {
      const entry = findings.get(label) ?? { label, members: new Set<string>(), fieldCount: 0 };
      entry.fieldCount++;
      for (const member of members) entry.members.add(member);
      findings.set(label, entry);
    }
    for (const { label, tileCount } of field.morphotypes) {
      const entry = tally.get(label) ?? { label, fieldCount: 0, tileCount: 0 };
      entry.fieldCount++;
      entry.tileCount += tileCount;
      tally.set(label, entry);
    }
  }
  const counted = [...findings.values()].filter((f) => f.fieldCount >= minFields);
  const singles = new Set(counted.filter((f) => f.members.size === 1).map((f) => f.label));
  const kept = counted.filter((f) => f.members.size === 1 || ![...f.members].some((member) => singles.has(member)));
  const keptMembers = new Set(kept.flatMap((f) => [...f.members]));
  const byFieldsThenTiles = (a: SpecimenMorphotype, b: SpecimenMorphotype): number => b.fieldCount - a.fieldCount || b.tileCount - a.tileCount || a.label.localeCompare(b.label);
  const morphotypes = [...tally.values()].filter((m) => keptMembers.has(m.label) && m.fieldCount >= minFields).sort(byFieldsThenTiles);
  const tilesOf = (f: SpecimenFinding): number => [...f.members].reduce((sum, member) => sum + (tally.get(member)?.tileCount ?? 0), 0);
  kept.sort((a, b) => b.fieldCount - a.fieldCount || tilesOf(b) - tilesOf(a) || a.label.localeCompare(b.label));
  const mixedField = fields.some((f) => f.multiple && f.findings.length < 2);
  const multiple = kept.length >= 2 || mixedField;

  const withOrganisms = fields.filter((f) => f.findings.length > 0 || f.multiple);
  const pooled = withOrganisms.length > 0 ? withOrganisms : fields;
  const probabilities = new Array<number>(k).fill(0);
  for (const field of pooled) field.probabilities.forEach((p, c) => (probabilities[c] += p / pooled.length));

  const label = multiple && mixedClass !== undefined ? mixedClass : (kept[0]?.label ?? backgroundClass);
  return { label, probabilities, morphotypes, multiple, fields: fields.length };
}
