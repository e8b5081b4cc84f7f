/** The fold runs behind pooled out-of-fold predictions, as the report's JSON keeps them. */
import type { ClassifierReport } from '../evaluate/index.ts';
import type { FoldRunData, FoldRunInput, OutOfFoldData } from './types.ts';

/**
 * The fold runs behind pooled out-of-fold predictions, with their patient-disjointness counted
 * rather than assumed. Throws when the held-out parts do not add up to the pooled predictions.
 */
export function outOfFoldData(runs: readonly FoldRunInput[], foldReports: readonly ClassifierReport[], sampleCount: number): OutOfFoldData {
  if (runs.length !== foldReports.length) throw new Error(`foldRuns: ${runs.length} runs for ${foldReports.length} fold reports`);
  runs.forEach((run, i) => {
    if (run.images.test !== foldReports[i].sampleCount) throw new Error(`foldRuns: fold ${run.fold + 1} holds out ${run.images.test} images, its report scores ${foldReports[i].sampleCount}`);
  });
  const heldOutImages = runs.reduce((sum, run) => sum + run.images.test, 0);
  if (heldOutImages !== sampleCount) throw new Error(`foldRuns: the held-out parts hold ${heldOutImages} images, the pooled predictions ${sampleCount}`);
  const heldOutBy = new Map<string, number>();
  for (const run of runs) for (const patient of new Set(run.patients.test)) heldOutBy.set(patient, (heldOutBy.get(patient) ?? 0) + 1);
  return {
    runs: runs.map(foldRunData),
    patients: heldOutBy.size,
    patientsHeldOutTwice: [...heldOutBy.values()].filter((times) => times > 1).length,
  };
}

function foldRunData(run: FoldRunInput): FoldRunData {
  const parts = [run.patients.train, run.patients.val, run.patients.test].map((patients) => new Set(patients));
  const inParts = new Map<string, number>();
  for (const part of parts) for (const patient of part) inParts.set(patient, (inParts.get(patient) ?? 0) + 1);
  return {
    ...run,
    patients: { train: parts[0].size, val: parts[1].size, test: parts[2].size },
    patientsInTwoParts: [...inParts.values()].filter((times) => times > 1).length,
  };
}
