import { type Rng, createRng } from '../util/index.ts';

/** Anything with a label and a patient: dataset samples, or plain records in tests. */
export interface PatientLabelled {
  label: string | number;
  patientId: string;
}

export interface SplitFractions {
  train: number;
  val: number;
  test: number;
}

export interface PatientSplit<T> {
  train: T[];
  val: T[];
  test: T[];
}

export interface PatientFold<T> {
  fold: number;
  train: T[];
  val: T[];
}

interface PatientGroup {
  members: number[];
  /** Samples per class index. */
  counts: number[];
  size: number;
  mainClass: number;
}

function groupByPatient(samples: readonly PatientLabelled[]): { groups: PatientGroup[]; classCount: number } {
  const classNames = [...new Set(samples.map((s) => String(s.label)))].sort();
  const classIndex = new Map(classNames.map((name, i) => [name, i]));
  const byPatient = new Map<string, PatientGroup>();
  samples.forEach((sample, index) => {
    let group = byPatient.get(sample.patientId);
    if (!group) {
      group = { members: [], counts: new Array<number>(classNames.length).fill(0), size: 0, mainClass: 0 };
      byPatient.set(sample.patientId, group);
    }
    group.members.push(index);
    group.counts[classIndex.get(String(sample.label))!]++;
    group.size++;
  });
  for (const group of byPatient.values()) group.mainClass = group.counts.indexOf(Math.max(...group.counts));
  return { groups: [...byPatient.values()], classCount: classNames.length };
}

/**
 * Assigns whole patient groups to partitions so each partition's per-class counts approach
 * fraction × class total. Largest groups first (seeded tie order), each to the partition whose
 * squared relative error shrinks most. Before that, every partition gets one group of each class
 * that has enough patients, and at least one group, so small validation and test sets still see
 * every class. Returns the partition index of each group.
 */
function assignGroups(groups: PatientGroup[], classCount: number, fractions: number[], rng: Rng): Int32Array {
  const partitions = fractions.map((_, p) => p).filter((p) => fractions[p] > 0);
  const classTotals = new Array<number>(classCount).fill(0);
  for (const group of groups) group.counts.forEach((n, c) => (classTotals[c] += n));
  const current = fractions.map(() => new Array<number>(classCount).fill(0));
  const assignment = new Int32Array(groups.length).fill(-1);

  const order = rng.shuffle(groups.map((_, g) => g));
  order.sort((a, b) => groups[b].size - groups[a].size);

  const assign = (g: number, p: number): void => {
    assignment[g] = p;
    groups[g].counts.forEach((n, c) => (current[p][c] += n));
  };
  const smallestUnassigned = (accept: (group: PatientGroup) => boolean): number | undefined => {
    for (let i = order.length - 1; i >= 0; i--) if (assignment[order[i]] === -1 && accept(groups[order[i]])) return order[i];
    return undefined;
  };

  const smallFirst = [...partitions].sort((a, b) => fractions[a] - fractions[b] || a - b);
  const groupsPerClass = new Array<number>(classCount).fill(0);
  for (const group of groups) groupsPerClass[group.mainClass]++;
  const rareFirst = classTotals.map((_, c) => c).sort((a, b) => groupsPerClass[a] - groupsPerClass[b] || a - b);
  for (const c of rareFirst) {
    if (groupsPerClass[c] < partitions.length) continue;
    for (const p of smallFirst) {
      if (current[p][c] > 0) continue;
      const g = smallestUnassigned((group) => group.mainClass === c);
      if (g !== undefined) assign(g, p);
    }
  }
  for (const p of smallFirst) {
    const g = current[p].every((n) => n === 0) ? smallestUnassigned(() => true) : undefined;
    if (g !== undefined) assign(g, p);
  }

  for (const g of order) {
    if (assignment[g] !== -1) continue;
    let best = partitions[0];
    let bestDelta = Infinity;
    for (const p of partitions) {
      let delta = 0;
      groups[g].counts.forEach((n, c) => {
        if (n > 0) delta += (2 * n * (current[p][c] - fractions[p] * classTotals[c]) + n * n) / (classTotals[c] * classTotals[c]);
      });
      if (delta < bestDelta) {
        bestDelta = delta;
        best = p;
      }
    }
    assign(g, best);
  }
  return assignment;
}

function collect<T>(samples: readonly T[], groups: PatientGroup[], assignment: Int32Array, partition: number): T[] {
  const indices = groups.flatMap((group, g) => (assignment[g] === partition ? group.members : []));
  return indices.sort((a, b) => a - b).map((i) => samples[i]);
}

/** Throws if any patient appears in more than one of the named parts. */
export function assertPatientDisjoint(parts: Record<string, readonly { patientId: string }[]>): void {
  const owner = new Map<string, string>();
  for (const [name, samples] of Object.entries(parts)) {
    for (const { patientId } of samples) {
      const other = owner.get(patientId);
      if (other !== undefined && other !== name) throw new Error(`Patient "${patientId}" is in both ${other} and ${name}`);
      owner.set(patientId, name);
    }
  }
}

function validateFractions(fractions: SplitFractions): void {
  const values = [fractions.train, fractions.val, fractions.test];
  if (values.some((v) => !Number.isFinite(v) || v < 0) || !(fractions.train > 0)) {
    throw new Error(`Split fractions must be non-negative numbers with train > 0, got ${JSON.stringify(fractions)}`);
  }
  const total = values.reduce((a, b) => a + b, 0);
  if (Math.abs(total - 1) > 1e-6) throw new Error(`Split fractions must add up to 1, got ${Number(total.toFixed(6))}`);
}

/**
 * Train/val/test split that keeps every patient's samples on one side and each class near the
 * requested fractions. Deterministic for a seed; sample order is preserved within each part.
 */
export function splitByPatient<T extends PatientLabelled>(
  samples: readonly T[],
  options: { fractions: SplitFractions; seed: number },
): PatientSplit<T> {
  const { fractions, seed } = options;
  validateFractions(fractions);
  const { groups, classCount } = groupByPatient(samples);
  const needed = [fractions.train, fractions.val, fractions.test].filter((f) => f > 0).length;
  if (groups.length < needed) {
    throw new Error(`A split into ${needed} non-empty parts needs at least ${needed} patients, found ${groups.length}`);
  }
  const assignment = assignGroups(groups, classCount, [fractions.train, fractions.val, fractions.test], createRng(seed));
  const split = {
    train: collect(samples, groups, assignment, 0),
    val: collect(samples, groups, assignment, 1),
    test: collect(samples, groups, assignment, 2),
  };
  assertPatientDisjoint(split);
  return split;
}

/** k patient-grouped, class-stratified folds; fold i validates on part i and trains on the rest. */
export function kFoldByPatient<T extends PatientLabelled>(samples: readonly T[], k: number, seed: number): PatientFold<T>[] {
  if (!Number.isInteger(k) || k < 2) throw new Error(`The number of folds must be an integer of at least 2, got ${k}`);
  const { groups, classCount } = groupByPatient(samples);
  if (groups.length < k) throw new Error(`Cannot make ${k} folds from ${groups.length} patients: need at least one patient per fold`);
  const assignment = assignGroups(groups, classCount, new Array<number>(k).fill(1 / k), createRng(seed));
  const parts = Array.from({ length: k }, (_, p) => collect(samples, groups, assignment, p));
  return parts.map((val, fold) => {
    const train = collect(samples, groups, assignment.map((p) => (p === fold ? -1 : 0)), 0);
    assertPatientDisjoint({ train, val });
    return { fold, train, val };
  });
}
