/**
 * Operating points: turning scores into decisions. Choose them on validation data and report their
 * performance on separate test data; a threshold tuned on the test set overstates it.
 */
import { ratio } from './confusion.ts';
import { argmaxRow, toLabelledProbabilities, toProbabilities, type Labels, type ScoreMatrix } from './inputs.ts';
import { rocCurve } from './roc.ts';

export interface BinaryOperatingPoint {
  /** Call a sample positive when score >= threshold. */
  threshold: number;
  sensitivity: number;
  specificity: number;
}

export interface Referral {
  /** The top-probability level below which a case is referred to a human. */
  confidenceLevel: number;
  /** Fraction of samples referred. */
  referralRate: number;
  referredCount: number;
  retainedCount: number;
  /** Accuracy on the samples not referred (NaN without labels or when all are referred). */
  retainedAccuracy: number;
}

/**
 * The highest threshold whose sensitivity reaches the target, i.e. the most specific operating
 * point that still catches the required fraction of positives.
 */
export function thresholdForSensitivity(binaryLabels: ArrayLike<number>, scores: ArrayLike<number>, targetSensitivity: number): BinaryOperatingPoint {
  if (!(targetSensitivity > 0 && targetSensitivity <= 1)) throw new Error(`target sensitivity must be in (0, 1], got ${targetSensitivity}`);
  const { thresholds, tpr, fpr } = rocCurve(binaryLabels, scores);
  if (Number.isNaN(tpr[0])) throw new Error('thresholdForSensitivity: no positive samples to measure sensitivity on');
  const index = tpr.findIndex((sensitivity) => sensitivity >= targetSensitivity);
  return { threshold: thresholds[index], sensitivity: tpr[index], specificity: 1 - fpr[index] };
}

/**
 * Refer every case whose top probability is below `confidenceLevel`; how many are referred and,
 * given labels, how accurate the model is on the rest.
 */
export function referralRate(probabilities: ScoreMatrix, k: number, confidenceLevel: number, labels?: Labels): Referral {
  if (!(confidenceLevel >= 0 && confidenceLevel <= 1)) throw new Error(`confidence level must be in [0, 1], got ${confidenceLevel}`);
  const matrix = labels ? toLabelledProbabilities(labels, probabilities, k) : toProbabilities(probabilities, k);
  let referredCount = 0;
  let correctRetained = 0;
  for (let i = 0; i < matrix.rows; i++) {
    const predicted = argmaxRow(matrix, i);
    if (matrix.data[i * k + predicted] < confidenceLevel) referredCount++;
    else if (labels && labels[i] === predicted) correctRetained++;
  }
  const retainedCount = matrix.rows - referredCount;
  return {
    confidenceLevel,
    referralRate: referredCount / matrix.rows,
    referredCount,
    retainedCount,
    retainedAccuracy: labels ? ratio(correctRetained, retainedCount) : Number.NaN,
  };
}

/**
 * The lowest confidence level (so the fewest referrals) at which the retained cases reach the
 * target accuracy; null when no level does. Candidate levels are the observed top probabilities.
 */
export function selectConfidenceForAccuracy(labels: Labels, probabilities: ScoreMatrix, k: number, targetAccuracy: number): Referral | null {
  if (!(targetAccuracy > 0 && targetAccuracy <= 1)) throw new Error(`target accuracy must be in (0, 1], got ${targetAccuracy}`);
  const matrix = toLabelledProbabilities(labels, probabilities, k);
  const confidence = new Float64Array(matrix.rows);
  const correct = new Uint8Array(matrix.rows);
  for (let i = 0; i < matrix.rows; i++) {
    const predicted = argmaxRow(matrix, i);
    confidence[i] = matrix.data[i * k + predicted];
    correct[i] = predicted === labels[i] ? 1 : 0;
  }
  const order = Array.from(confidence.keys()).sort((a, b) => confidence[b] - confidence[a]);
  let best: number | null = null;
  let retained = 0;
  let retainedCorrect = 0;
  for (let r = 0; r < order.length; r++) {
    retained++;
    retainedCorrect += correct[order[r]];
    const endOfTies = r === order.length - 1 || confidence[order[r + 1]] !== confidence[order[r]];
    if (endOfTies && retainedCorrect / retained >= targetAccuracy) best = confidence[order[r]];
  }
  return best === null ? null : referralRate(probabilities, k, best, labels);
}
