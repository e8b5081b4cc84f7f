import type { Refusal } from '../contract/index.ts';

/**
 * What a whole microscope field looks like as a field, which its tiles one by one cannot tell: how
 * many stained objects of bacterial size it holds, and how much of what the model reads of it the
 * model takes for organism-free. A Gram-stained field of the training kind shows stained objects
 * (organisms, and host cells and debris even where there are none) and, unless it is empty, tiles
 * read as organisms; a blood smear (large pale discs packed edge to edge), a drawing or a photo of
 * anything else shows neither, even when each of its tiles on its own looks like an organism-free
 * one.
 */
export interface FieldSignature {
  /** Strongly stained objects the photo's object measure counted (src/fields measureObjectScale), capped by the caller where it stops counting. */
  stainedObjects: number;
  /** Mean probability of the organism-free class over the tiles sent to the model (0..1). */
  organismFreeShare: number;
}

/** The statistics a bundle keeps (metadata.json `ood.field`) to refuse fields unlike its validation fields. */
export interface FieldSignatureStatistics {
  /** Mean and covariance of fieldSignatureVector over the validation fields. */
  mean: number[];
  covariance: number[][];
  /** A field whose squared Mahalanobis distance to the mean is above this is refused. */
  threshold: number;
  /** Validation fields fitted on and the largest distance among them. */
  validation: { fields: number; largest: number };
}

/**
 * The threshold is this many times the largest validation distance: forty-odd validation fields
 * give a rough extreme, and fields of new patients score higher. On the demo model (40 validation
 * fields, 2-D signature) 1.5 × the largest, about the 99.9% point of a χ² with 2 degrees of
 * freedom, refused none of 45 test fields nor of 123 GramStainR photos (src/ood/README.md).
 */
export const FIELD_SIGNATURE_MARGIN = 1.5;

/** Shares are kept this far from 0 and 1 before their logit. */
const SHARE_EPSILON = 1e-3;

export const UNLIKE_FIELDS_REFUSAL: Refusal = { code: 'unfamiliar', reason: 'it is unlike the microscope fields this model was trained on' };

/** The signature on the scale it is compared on: log(1 + stained objects) and the logit of the organism-free share. */
export function fieldSignatureVector(signature: FieldSignature): number[] {
  const share = Math.min(1 - SHARE_EPSILON, Math.max(SHARE_EPSILON, signature.organismFreeShare));
  return [Math.log1p(Math.max(0, signature.stainedObjects)), Math.log(share / (1 - share))];
}

/** Mean, covariance (n − 1) and threshold of the validation fields' signatures. */
export function fitFieldSignature(signatures: readonly FieldSignature[], margin = FIELD_SIGNATURE_MARGIN): FieldSignatureStatistics {
  if (signatures.length < 3) throw new Error(`the field signature needs at least 3 validation fields with tiles read, got ${signatures.length}`);
  if (!(margin >= 1)) throw new Error(`the field signature's margin must be at least 1, got ${margin}`);
  const vectors = signatures.map(fieldSignatureVector);
  const dim = vectors[0].length;
  const mean = Array.from({ length: dim }, (_, d) => vectors.reduce((sum, v) => sum + v[d], 0) / vectors.length);
  const covariance = Array.from({ length: dim }, (_, a) =>
    Array.from({ length: dim }, (_, b) => vectors.reduce((sum, v) => sum + (v[a] - mean[a]) * (v[b] - mean[b]), 0) / (vectors.length - 1)),
  );
  const fitted = { mean, covariance, threshold: Infinity, validation: { fields: signatures.length, largest: 0 } };
  const largest = Math.max(...signatures.map((signature) => fieldSignatureDistance(fitted, signature)));
  return { ...fitted, threshold: margin * largest, validation: { fields: signatures.length, largest } };
}

/** Squared Mahalanobis distance of a field's signature to the validation fields' mean. */
export function fieldSignatureDistance(statistics: Pick<FieldSignatureStatistics, 'mean' | 'covariance'>, signature: FieldSignature): number {
  const centred = fieldSignatureVector(signature).map((value, d) => value - statistics.mean[d]);
  const solved = solve(statistics.covariance, centred);
  return centred.reduce((sum, value, d) => sum + value * solved[d], 0);
}

/** The field's refusal when its signature is beyond the threshold, else null. */
export function fieldSignatureRefusal(statistics: FieldSignatureStatistics, signature: FieldSignature): Refusal | null {
  return fieldSignatureDistance(statistics, signature) > statistics.threshold ? UNLIKE_FIELDS_REFUSAL : null;
}

/**
 * x with A x = b (Gaussian elimination with partial pivoting) for a small symmetric covariance; a
 * ridge of 1e-9 of its trace keeps a degenerate one (validation fields all alike in one feature)
 * solvable, so that any departure in that feature scores high.
 */
function solve(matrix: readonly number[][], b: readonly number[]): number[] {
  const n = b.length;
  const trace = matrix.reduce((sum, row, i) => sum + row[i], 0);
  const ridge = 1e-9 * Math.max(trace, 1e-12);
  const a = matrix.map((row, i) => [...row.map((value, j) => value + (i === j ? ridge : 0)), b[i]]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++) if (Math.abs(a[row][col]) > Math.abs(a[pivot][col])) pivot = row;
    [a[col], a[pivot]] = [a[pivot], a[col]];
    for (let row = 0; row < n; row++) {
      if (row === col) continue;
      const factor = a[row][col] / a[col][col];
      for (let k = col; k <= n; k++) a[row][k] -= factor * a[col][k];
    }
  }
  return a.map((row, i) => row[n] / row[i]);
}
