/**
 * ROC and precision-recall curves, following scikit-learn's definitions: a sample is called
 * positive when score >= threshold, every distinct score is a threshold, and tied scores move
 * together (one diagonal step on the ROC curve, never an optimistic staircase).
 */
import { ratio } from './confusion.ts';
import { checkBinaryLabels, checkClassCount, checkFinite, checkLabels, checkNonEmpty, checkSameLength, matrixColumn, toMatrix, type Labels, type ScoreMatrix } from './inputs.ts';

export interface RocCurve {
  /** Decreasing; the first is +Infinity (nothing called positive), as in scikit-learn >= 1.3. */
  thresholds: number[];
  fpr: number[];
  tpr: number[];
}

export interface PrecisionRecallCurve {
  /** Ends with 1 (the conventional point at recall 0). */
  precision: number[];
  /** Decreasing; ends with 0. */
  recall: number[];
  /** Increasing; one shorter than precision and recall. */
  thresholds: number[];
}

export interface OneVsRestAuc {
  /** AUC of each class against the rest; NaN for a class without positives or without negatives. */
  perClass: number[];
  /** Unweighted mean over the classes whose AUC is defined. */
  macro: number;
}

interface CumulativeCounts {
  /** Distinct scores, decreasing. */
  thresholds: number[];
  /** Positives with score >= threshold. */
  truePositives: number[];
  /** Negatives with score >= threshold. */
  falsePositives: number[];
}

/** scikit-learn's _binary_clf_curve: cumulative counts at each distinct score, highest first. */
function cumulativeCounts(binaryLabels: ArrayLike<number>, scores: ArrayLike<number>): CumulativeCounts {
  checkNonEmpty('labels', binaryLabels);
  checkSameLength('labels vs scores', binaryLabels, scores);
  checkBinaryLabels(binaryLabels);
  checkFinite('scores', scores);
  const order = sortedIndices(scores).reverse();
  const curve: CumulativeCounts = { thresholds: [], truePositives: [], falsePositives: [] };
  let tp = 0;
  let fp = 0;
  for (let r = 0; r < order.length; r++) {
    const i = order[r];
    if (binaryLabels[i] === 1) tp++;
    else fp++;
    const endOfTies = r === order.length - 1 || scores[order[r + 1]] !== scores[i];
    if (endOfTies) {
      curve.thresholds.push(scores[i]);
      curve.truePositives.push(tp);
      curve.falsePositives.push(fp);
    }
  }
  return curve;
}

/** Sample indices ordered by increasing score. */
export function sortedIndices(scores: ArrayLike<number>): Int32Array {
  const order = new Int32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => scores[a] - scores[b]);
}

/**
 * Every threshold of the ROC curve (scikit-learn's roc_curve with drop_intermediate=False, which
 * keeps all operating points). With no positives (or no negatives) tpr (or fpr) is NaN throughout.
 */
export function rocCurve(binaryLabels: ArrayLike<number>, scores: ArrayLike<number>): RocCurve {
  const { thresholds, truePositives, falsePositives } = cumulativeCounts(binaryLabels, scores);
  const positives = truePositives[truePositives.length - 1];
  const negatives = falsePositives[falsePositives.length - 1];
  return {
    thresholds: [Number.POSITIVE_INFINITY, ...thresholds],
    fpr: [0, ...falsePositives].map((fp) => ratio(fp, negatives)),
    tpr: [0, ...truePositives].map((tp) => ratio(tp, positives)),
  };
}

/** Area under a piecewise-linear curve by the trapezoidal rule; x must be monotonic (a decreasing x gives the same positive area). */
export function aucTrapezoid(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkSameLength('x vs y', x, y);
  if (x.length < 2) throw new Error(`aucTrapezoid: need at least 2 points, got ${x.length}`);
  let area = 0;
  let increasing = true;
  let decreasing = true;
  for (let i = 1; i < x.length; i++) {
    const dx = x[i] - x[i - 1];
    if (dx < 0) increasing = false;
    if (dx > 0) decreasing = false;
    area += (dx * (y[i] + y[i - 1])) / 2;
  }
  if (!increasing && !decreasing) throw new Error('aucTrapezoid: x is neither increasing nor decreasing');
  return increasing ? area : -area;
}

/** Binary ROC AUC: the trapezoidal area under rocCurve (NaN without both classes). */
export function rocAuc(binaryLabels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { fpr, tpr } = rocCurve(binaryLabels, scores);
  return aucTrapezoid(fpr, tpr);
}

/** One-vs-rest ROC AUC of each class from its column of scores, and their macro mean. */
export function rocAucOvr(labels: Labels, scores: ScoreMatrix, k: number): OneVsRestAuc {
  checkClassCount(k);
  checkNonEmpty('labels', labels);
  const matrix = toMatrix('scores', scores, labels.length, k);
  checkLabels(labels, k);
  const perClass = Array.from({ length: k }, (_, c) => {
    const isClass = Array.from(labels, (label) => (label === c ? 1 : 0));
    return rocAuc(isClass, matrixColumn(matrix, c));
  });
  const defined = perClass.filter((auc) => !Number.isNaN(auc));
  return { perClass, macro: ratio(defined.reduce((sum, auc) => sum + auc, 0), defined.length) };
}

/**
 * ROC AUC of `positiveClass` vs the rest as the Mann-Whitney statistic (ties count one half),
 * which equals the trapezoidal AUC. Works from a precomputed increasing order and optional
 * per-sample weights, so the bootstrap gets each replicate in O(n) without sorting or allocating.
 */
export function weightedAuc(
  increasingOrder: Int32Array,
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  positiveClass: number,
  weights?: ArrayLike<number>,
): number {
  let negativesBelow = 0;
  let positives = 0;
  let concordant = 0;
  let r = 0;
  while (r < increasingOrder.length) {
    const score = scores[increasingOrder[r]];
    let tiedPositives = 0;
    let tiedNegatives = 0;
    for (; r < increasingOrder.length && scores[increasingOrder[r]] === score; r++) {
      const i = increasingOrder[r];
      const weight = weights ? weights[i] : 1;
      if (labels[i] === positiveClass) tiedPositives += weight;
      else tiedNegatives += weight;
    }
    concordant += tiedPositives * (negativesBelow + tiedNegatives / 2);
    negativesBelow += tiedNegatives;
    positives += tiedPositives;
  }
  return ratio(concordant, positives * negativesBelow);
}

/** scikit-learn's precision_recall_curve: points ordered by increasing threshold, plus (recall 0, precision 1). */
export function precisionRecallCurve(binaryLabels: ArrayLike<number>, scores: ArrayLike<number>): PrecisionRecallCurve {
  const { thresholds, truePositives, falsePositives } = cumulativeCounts(binaryLabels, scores);
  const positives = truePositives[truePositives.length - 1];
  const precision = truePositives.map((tp, i) => tp / (tp + falsePositives[i]));
  const recall = truePositives.map((tp) => ratio(tp, positives));
  return {
    precision: [...precision.reverse(), 1],
    recall: [...recall.reverse(), 0],
    thresholds: thresholds.reverse(),
  };
}

/**
 * Average precision, scikit-learn's step definition AP = Σ (R_n − R_{n−1}) P_n over decreasing
 * thresholds (no interpolation). NaN when there are no positives.
 */
export function averagePrecision(binaryLabels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { precision, recall } = precisionRecallCurve(binaryLabels, scores);
  let ap = 0;
  for (let i = 0; i < precision.length - 1; i++) ap += (recall[i] - recall[i + 1]) * precision[i];
  return ap;
}
