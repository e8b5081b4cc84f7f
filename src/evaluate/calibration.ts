/**
 * Calibration: does a predicted 90% come true 90% of the time? Reliability bins and the expected
 * calibration error use the top-label confidence (the probability of the predicted class), as in
 * Guo et al. 2017, "On Calibration of Modern Neural Networks"; temperature scaling is their fix.
 */
import { createRng } from '../util/index.ts';
import { ratio } from './confusion.ts';
import { argmaxRow, checkClassCount, checkLabels, checkNonEmpty, toLabelledProbabilities, toMatrix, toMatrixOfWidth, type Labels, type Matrix, type ScoreMatrix } from './inputs.ts';

export interface ReliabilityBin {
  /** The bin holds confidences in (lower, upper]; the first bin also holds exactly 0. */
  lower: number;
  upper: number;
  count: number;
  /** Mean top-label confidence of the samples in the bin (NaN when empty). */
  meanConfidence: number;
  /** Fraction of the bin's samples whose predicted class is right (NaN when empty). */
  accuracy: number;
}

export interface BinningOptions {
  /** Number of equal-width confidence bins over [0, 1]; 15 by default (Guo et al.). */
  bins?: number;
}

export const DEFAULT_CALIBRATION_BINS = 15;

/** Equal-width bins of top-label confidence with the accuracy of the predictions in each. */
export function reliabilityBins(labels: Labels, probabilities: ScoreMatrix, options: BinningOptions = {}): ReliabilityBin[] {
  const bins = options.bins ?? DEFAULT_CALIBRATION_BINS;
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`bins must be a positive integer, got ${bins}`);
  const matrix = toLabelledProbabilities(labels, probabilities);
  const counts = new Array<number>(bins).fill(0);
  const confidenceSums = new Array<number>(bins).fill(0);
  const correctCounts = new Array<number>(bins).fill(0);
  for (let i = 0; i < matrix.rows; i++) {
    const predicted = argmaxRow(matrix, i);
    const confidence = matrix.data[i * matrix.columns + predicted];
    const bin = Math.min(bins - 1, Math.max(0, Math.ceil(confidence * bins) - 1));
    counts[bin]++;
    confidenceSums[bin] += confidence;
    if (predicted === labels[i]) correctCounts[bin]++;
  }
  return counts.map((count, b) => ({
    lower: b / bins,
    upper: (b + 1) / bins,
    count,
    meanConfidence: ratio(confidenceSums[b], count),
    accuracy: ratio(correctCounts[b], count),
  }));
}

/** Top-label ECE: Σ over bins of (bin count / n) · |accuracy − mean confidence|, equal-width bins. */
export function expectedCalibrationError(labels: Labels, probabilities: ScoreMatrix, options: BinningOptions = {}): number {
  const bins = reliabilityBins(labels, probabilities, options);
  let error = 0;
  for (const bin of bins) {
    if (bin.count > 0) error += (bin.count / labels.length) * Math.abs(bin.accuracy - bin.meanConfidence);
  }
  return error;
}

export interface CalibratedDrawOptions extends BinningOptions {
  /** How many label sets to draw; 200 by default. */
  draws?: number;
  seed?: number;
}

/**
 * The ECEs a perfectly calibrated model with these probabilities would measure on this many
 * samples, in ascending order: each draw takes every label from its own row's probabilities, so the
 * labels are calibrated by construction and any ECE left is sampling noise. Their mean is the noise
 * floor of the ECE; the share at or above an observed ECE is the one-sided p-value of "calibrated".
 */
export function calibratedEceDraws(probabilities: ScoreMatrix, k: number, options: CalibratedDrawOptions = {}): number[] {
  const draws = options.draws ?? 200;
  if (!Number.isInteger(draws) || draws < 1) throw new Error(`draws must be a positive integer, got ${draws}`);
  const matrix = toMatrixOfWidth('probabilities', probabilities, k);
  const rng = createRng(options.seed ?? 1);
  const labels = new Int32Array(matrix.rows);
  const errors: number[] = [];
  for (let draw = 0; draw < draws; draw++) {
    for (let i = 0; i < matrix.rows; i++) {
      let u = rng.next();
      let c = 0;
      while (c < k - 1 && u >= matrix.data[i * k + c]) u -= matrix.data[i * k + c++];
      labels[i] = c;
    }
    errors.push(expectedCalibrationError(labels, matrix.data, options));
  }
  return errors.sort((a, b) => a - b);
}

/**
 * Multi-class Brier score: mean over samples of Σ over classes of (p_c − [c = label])², in [0, 2].
 * Binary convention: with two classes this counts both columns, so it is twice the classic binary
 * Brier score mean((p_positive − y)²) that scikit-learn's brier_score_loss returns by default
 * (equal to brier_score_loss(..., scale_by_half=False) in scikit-learn >= 1.7).
 */
export function brierScore(labels: Labels, probabilities: ScoreMatrix): number {
  const matrix = toLabelledProbabilities(labels, probabilities);
  let total = 0;
  for (let i = 0; i < matrix.rows; i++) {
    for (let c = 0; c < matrix.columns; c++) {
      const error = matrix.data[i * matrix.columns + c] - (labels[i] === c ? 1 : 0);
      total += error * error;
    }
  }
  return total / matrix.rows;
}

/** Search range of the temperature; an optimum outside it (a degenerate fit) is clamped to the nearer end. */
export const TEMPERATURE_RANGE: readonly [number, number] = [0.01, 100];

interface TemperatureObjective {
  /** Mean negative log-likelihood of softmax(β · logits). */
  nll: number;
  /** d nll / dβ = mean of (E_p[z] − z_label). */
  gradient: number;
  /** d² nll / dβ² = mean of Var_p[z] (≥ 0: the NLL is convex in β = 1/T). */
  curvature: number;
}

function temperatureObjective(logits: Matrix, labels: Labels, beta: number): TemperatureObjective {
  const k = logits.columns;
  const unnormalised = new Float64Array(k);
  let nll = 0;
  let gradient = 0;
  let curvature = 0;
  for (let i = 0; i < logits.rows; i++) {
    const row = logits.data.subarray(i * k, (i + 1) * k);
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, beta * row[c]);
    let sum = 0;
    for (let c = 0; c < k; c++) {
      unnormalised[c] = Math.exp(beta * row[c] - max);
      sum += unnormalised[c];
    }
    let mean = 0;
    for (let c = 0; c < k; c++) mean += (unnormalised[c] / sum) * row[c];
    let variance = 0;
    for (let c = 0; c < k; c++) variance += (unnormalised[c] / sum) * (row[c] - mean) ** 2;
    nll += max + Math.log(sum) - beta * row[labels[i]];
    gradient += mean - row[labels[i]];
    curvature += variance;
  }
  return { nll: nll / logits.rows, gradient: gradient / logits.rows, curvature: curvature / logits.rows };
}

/**
 * The temperature T > 0 that minimises the mean NLL of softmax(logits / T) on held-out data.
 * Golden-section search on log T over TEMPERATURE_RANGE (the NLL is convex in 1/T, so unimodal
 * in log T), then Newton steps on β = 1/T to polish to machine precision.
 */
export function fitTemperature(logits: ScoreMatrix, labels: Labels): number {
  checkNonEmpty('labels', labels);
  const matrix = toMatrix('logits', logits, labels.length);
  checkClassCount(matrix.columns);
  checkLabels(labels, matrix.columns);
  const nllAtLogT = (logT: number) => temperatureObjective(matrix, labels, Math.exp(-logT)).nll;

  const goldenRatio = (Math.sqrt(5) - 1) / 2;
  let low = Math.log(TEMPERATURE_RANGE[0]);
  let high = Math.log(TEMPERATURE_RANGE[1]);
  let left = high - goldenRatio * (high - low);
  let right = low + goldenRatio * (high - low);
  let nllLeft = nllAtLogT(left);
  let nllRight = nllAtLogT(right);
  while (high - low > 1e-6) {
    if (nllLeft <= nllRight) {
      high = right;
      right = left;
      nllRight = nllLeft;
      left = high - goldenRatio * (high - low);
      nllLeft = nllAtLogT(left);
    } else {
      low = left;
      left = right;
      nllLeft = nllRight;
      right = low + goldenRatio * (high - low);
      nllRight = nllAtLogT(right);
    }
  }

  const minBeta = 1 / TEMPERATURE_RANGE[1];
  const maxBeta = 1 / TEMPERATURE_RANGE[0];
  let beta = Math.exp(-(low + high) / 2);
  let current = temperatureObjective(matrix, labels, beta);
  for (let step = 0; step < 20 && current.curvature > 0; step++) {
    const candidate = beta - current.gradient / current.curvature;
    if (!(candidate >= minBeta && candidate <= maxBeta)) break;
    const next = temperatureObjective(matrix, labels, candidate);
    if (next.nll > current.nll) break;
    const converged = Math.abs(candidate - beta) <= 1e-12 * beta;
    beta = candidate;
    current = next;
    if (converged) break;
  }
  return 1 / beta;
}

/** softmax(logits / temperature) for each row: calibrated probabilities, n × k row-major. */
export function applyTemperature(logits: ScoreMatrix, temperature: number, k: number): Float32Array {
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new Error(`temperature must be a positive finite number, got ${temperature}`);
  const matrix = toMatrixOfWidth('logits', logits, k);
  const probabilities = new Float32Array(matrix.rows * k);
  for (let i = 0; i < matrix.rows; i++) {
    const offset = i * k;
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, matrix.data[offset + c] / temperature);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(matrix.data[offset + c] / temperature - max);
    for (let c = 0; c < k; c++) probabilities[offset + c] = Math.exp(matrix.data[offset + c] / temperature - max) / sum;
  }
  return probabilities;
}
