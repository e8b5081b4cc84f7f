/**
 * Chance-corrected agreement between annotators: κ = (observed − expected) / (1 − expected).
 * κ is NaN (0/0) when chance agreement is already total, e.g. everyone always picks one class.
 */
import { ratio } from './confusion.ts';
import { checkClassCount, checkLabels, checkNonEmpty, checkSameLength, type Labels } from './inputs.ts';

/** Cohen's kappa between two raters' class indices for the same items (unweighted). */
export function cohensKappa(a: Labels, b: Labels, k: number): number {
  checkClassCount(k);
  checkNonEmpty('ratings', a);
  checkSameLength('rater a vs rater b', a, b);
  checkLabels(a, k, 'rater a');
  checkLabels(b, k, 'rater b');
  const n = a.length;
  const countsA = new Array<number>(k).fill(0);
  const countsB = new Array<number>(k).fill(0);
  let agreements = 0;
  for (let i = 0; i < n; i++) {
    countsA[a[i]]++;
    countsB[b[i]]++;
    if (a[i] === b[i]) agreements++;
  }
  const observed = agreements / n;
  const expected = countsA.reduce((sum, count, c) => sum + count * countsB[c], 0) / (n * n);
  return ratio(observed - expected, 1 - expected);
}

/**
 * Fleiss' kappa for many raters. ratingCounts[i][j] = how many raters put item i in category j;
 * every item must have the same number of raters (at least 2).
 */
export function fleissKappa(ratingCounts: readonly (readonly number[])[]): number {
  checkNonEmpty('rating counts', ratingCounts);
  const categories = ratingCounts[0].length;
  if (categories < 1) throw new Error('rating counts: rows have no categories');
  const raters = ratingCounts[0].reduce((sum, count) => sum + count, 0);
  if (raters < 2) throw new Error(`rating counts: need at least 2 raters per item, got ${raters}`);
  const categoryTotals = new Array<number>(categories).fill(0);
  let agreementSum = 0;
  ratingCounts.forEach((row, i) => {
    if (row.length !== categories) throw new Error(`rating counts: row ${i} has ${row.length} categories, expected ${categories}`);
    let rowTotal = 0;
    let pairsInAgreement = 0;
    row.forEach((count, j) => {
      if (!Number.isInteger(count) || count < 0) throw new Error(`rating counts: value ${count} at item ${i}, category ${j} is not a non-negative integer`);
      rowTotal += count;
      pairsInAgreement += count * (count - 1);
      categoryTotals[j] += count;
    });
    if (rowTotal !== raters) throw new Error(`rating counts: item ${i} has ${rowTotal} ratings, expected ${raters} like item 0`);
    agreementSum += pairsInAgreement / (raters * (raters - 1));
  });
  const totalRatings = ratingCounts.length * raters;
  const observed = agreementSum / ratingCounts.length;
  const expected = categoryTotals.reduce((sum, total) => sum + (total / totalRatings) ** 2, 0);
  return ratio(observed - expected, 1 - expected);
}
