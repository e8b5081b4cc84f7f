import { describe, expect, it } from 'vitest';
import { type PatientLabelled, assertPatientDisjoint, kFoldByPatient, splitByPatient } from '../../src/data/index.ts';
import { createRng } from '../../src/util/index.ts';

interface Item extends PatientLabelled {
  id: number;
}

/** `patients` patients, each with 1..maxImages images of one label; class 0 three times as common. */
function cohort(patients: number, maxImages: number, seed: number): Item[] {
  const rng = createRng(seed);
  const items: Item[] = [];
  for (let p = 0; p < patients; p++) {
    const label = rng.chance(0.25) ? 'pos' : 'neg';
    for (let k = 1 + rng.int(maxImages); k > 0; k--) items.push({ id: items.length, label, patientId: `P${p}` });
  }
  return items;
}

const patientsOf = (items: Item[]): Set<string> => new Set(items.map((i) => i.patientId));
const share = (part: Item[], all: Item[], label: string): number =>
  part.filter((i) => i.label === label).length / all.filter((i) => i.label === label).length;

describe('splitByPatient', () => {
  const fractions = { train: 0.7, val: 0.15, test: 0.15 };

  it('keeps every patient on one side, covers every sample once and keeps sample order', () => {
    const items = cohort(200, 6, 1);
    const split = splitByPatient(items, { fractions, seed: 7 });
    const ids = [...split.train, ...split.val, ...split.test].map((i) => i.id).sort((a, b) => a - b);
    expect(ids).toEqual(items.map((i) => i.id));
    for (const part of [split.train, split.val, split.test]) {
      expect(part.map((i) => i.id)).toEqual([...part.map((i) => i.id)].sort((a, b) => a - b));
    }
    const [train, val, test] = [split.train, split.val, split.test].map(patientsOf);
    for (const patient of train) expect(val.has(patient) || test.has(patient)).toBe(false);
    for (const patient of val) expect(test.has(patient)).toBe(false);
  });

  it('matches the fractions per class (stratified)', () => {
    const items = cohort(400, 5, 2);
    const split = splitByPatient(items, { fractions, seed: 3 });
    for (const label of ['pos', 'neg']) {
      expect(share(split.train, items, label)).toBeCloseTo(0.7, 1);
      expect(share(split.val, items, label)).toBeCloseTo(0.15, 1);
      expect(share(split.test, items, label)).toBeCloseTo(0.15, 1);
    }
  });

  it('is deterministic for a seed and varies across seeds', () => {
    const items = cohort(100, 4, 4);
    const ids = (seed: number): number[] => splitByPatient(items, { fractions, seed }).test.map((i) => i.id);
    expect(ids(11)).toEqual(ids(11));
    expect(ids(11)).not.toEqual(ids(12));
  });

  it('puts every class in every part when each class has enough patients, even with few big groups', () => {
    // Like GramStainR clinical: 7 + 3 specimens of about 10 fields each.
    const items: Item[] = [];
    const add = (label: string, patient: string, n: number): void => {
      for (let k = 0; k < n; k++) items.push({ id: items.length, label, patientId: patient });
    };
    for (let s = 0; s < 7; s++) add('ecoli', `E${s}`, 10);
    [5, 11, 10].forEach((n, s) => add('paer', `P${s}`, n));
    for (let seed = 0; seed < 10; seed++) {
      const split = splitByPatient(items, { fractions, seed });
      for (const part of [split.train, split.val, split.test]) {
        expect(new Set(part.map((i) => i.label))).toEqual(new Set(['ecoli', 'paer']));
      }
    }
  });

  it('allows an empty part (fraction 0) and explains bad fractions or too few patients', () => {
    const items = cohort(20, 3, 5);
    const noTest = splitByPatient(items, { fractions: { train: 0.8, val: 0.2, test: 0 }, seed: 1 });
    expect(noTest.test).toEqual([]);
    expect(noTest.val.length).toBeGreaterThan(0);
    expect(() => splitByPatient(items, { fractions: { train: 0.7, val: 0.2, test: 0.2 }, seed: 1 })).toThrow('must add up to 1, got 1.1');
    expect(() => splitByPatient(items, { fractions: { train: 1.2, val: -0.2, test: 0 }, seed: 1 })).toThrow('non-negative');
    const two = [
      { id: 0, label: 'a', patientId: 'x' },
      { id: 1, label: 'b', patientId: 'y' },
    ];
    expect(() => splitByPatient(two, { fractions, seed: 1 })).toThrow('needs at least 3 patients, found 2');
  });
});

describe('kFoldByPatient', () => {
  it('makes k disjoint patient-grouped folds that each validate once and are stratified', () => {
    const items = cohort(150, 5, 8);
    const folds = kFoldByPatient(items, 5, 42);
    expect(folds.map((f) => f.fold)).toEqual([0, 1, 2, 3, 4]);
    const validated = folds.flatMap((f) => f.val.map((i) => i.id)).sort((a, b) => a - b);
    expect(validated).toEqual(items.map((i) => i.id));
    for (const { train, val } of folds) {
      expect(train.length + val.length).toBe(items.length);
      const valPatients = patientsOf(val);
      expect(train.some((i) => valPatients.has(i.patientId))).toBe(false);
      for (const label of ['pos', 'neg']) expect(share(val, items, label)).toBeCloseTo(0.2, 1);
    }
    expect(kFoldByPatient(items, 5, 42)).toEqual(folds);
  });

  it('refuses fewer patients than folds', () => {
    const items = cohort(3, 4, 9);
    expect(() => kFoldByPatient(items, 5, 1)).toThrow('Cannot make 5 folds from 3 patients');
    expect(() => kFoldByPatient(items, 1, 1)).toThrow('at least 2');
  });
});

describe('assertPatientDisjoint', () => {
  it('names the patient found on two sides', () => {
    expect(() => assertPatientDisjoint({ train: [{ patientId: 'a' }], test: [{ patientId: 'b' }, { patientId: 'a' }] })).toThrow(
      'Patient "a" is in both train and test',
    );
    expect(() => assertPatientDisjoint({ train: [{ patientId: 'a' }, { patientId: 'a' }] })).not.toThrow();
  });
});
