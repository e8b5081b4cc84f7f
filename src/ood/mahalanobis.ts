import { symmetricEigen } from './eigen.ts';

/**
 * What a bundle keeps of its training images' embeddings for the out-of-distribution score: the
 * class means and the shared within-class covariance in eigen form (its largest directions, and one
 * mean variance for the rest), small enough for metadata.json.
 */
export interface EmbeddingStatistics {
  /** Class means, classes × dimensions, in the bundle's class order. */
  means: number[][];
  /** Principal axes of the shared covariance, largest variance first: rank × dimensions, unit rows. */
  axes: number[][];
  /** Variance along each axis (floored, see FitEmbeddingOptions). */
  variances: number[];
  /** Mean variance of the directions left out; 0 when every direction is kept. */
  residualVariance: number;
}

export interface FitEmbeddingOptions {
  /** Directions kept (default 64: all of them for the default model's 64 channels). */
  maxRank?: number;
  /**
   * Least variance of a direction, as a share of the mean variance (default 1e-3): a channel that
   * training never uses then scores high when something lights it up, without an infinite score.
   */
  varianceFloor?: number;
}

const SIGNIFICANT_DIGITS = 6;

/**
 * Class means and the shared covariance of embeddings (n × dim, row-major) labelled 0..classes−1;
 * rows with other labels (coarse label-tree nodes) are left out. Every class needs an image.
 */
export function fitEmbeddingStatistics(embeddings: Float32Array, labels: Int32Array, classes: number, dim: number, options: FitEmbeddingOptions = {}): EmbeddingStatistics {
  if (embeddings.length !== labels.length * dim) throw new Error(`expected ${labels.length} × ${dim} embedding values, got ${embeddings.length}`);
  const counts = new Float64Array(classes);
  const sums = new Float64Array(classes * dim);
  labels.forEach((label, i) => {
    if (label < 0 || label >= classes) return;
    counts[label]++;
    for (let d = 0; d < dim; d++) sums[label * dim + d] += embeddings[i * dim + d];
  });
  const empty = Array.from(counts.keys()).filter((c) => counts[c] === 0);
  if (empty.length > 0) throw new Error(`no embedding of class ${empty.join(', ')}: every class needs at least one image`);
  const means = Array.from({ length: classes }, (_, c) => Array.from({ length: dim }, (_, d) => sums[c * dim + d] / counts[c]));

  const covariance = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  let n = 0;
  labels.forEach((label, i) => {
    if (label < 0 || label >= classes) return;
    n++;
    for (let d = 0; d < dim; d++) centred[d] = embeddings[i * dim + d] - means[label][d];
    for (let a = 0; a < dim; a++) {
      const ca = centred[a];
      if (ca === 0) continue;
      for (let b = a; b < dim; b++) covariance[a * dim + b] += ca * centred[b];
    }
  });
  const degrees = Math.max(1, n - classes);
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) covariance[b * dim + a] = covariance[a * dim + b] /= degrees;
  }

  const { values, vectors } = symmetricEigen(covariance, dim);
  const meanVariance = values.reduce((sum, v) => sum + Math.max(v, 0), 0) / dim || 1;
  const floor = (options.varianceFloor ?? 1e-3) * meanVariance;
  const rank = Math.min(dim, options.maxRank ?? 64);
  const floored = Array.from(values, (v) => Math.max(v, floor));
  const rest = floored.slice(rank);
  return {
    means: means.map((row) => row.map(round)),
    axes: Array.from({ length: rank }, (_, j) => Array.from(vectors.subarray(j * dim, (j + 1) * dim), round)),
    variances: floored.slice(0, rank).map(round),
    residualVariance: rest.length === 0 ? 0 : round(rest.reduce((sum, v) => sum + v, 0) / rest.length),
  };
}

/**
 * Squared Mahalanobis distance of an embedding to the nearest class mean under the shared
 * covariance (the directions left out weigh by their mean variance): the out-of-distribution score.
 */
export class EmbeddingScorer {
  readonly dim: number;
  private readonly axes: Float64Array;
  private readonly inverseVariances: Float64Array;
  private readonly means: Float64Array;
  /** Each class mean projected on each axis (classes × rank). */
  private readonly meanProjections: Float64Array;
  private readonly meanNormsSquared: Float64Array;

  constructor(private readonly statistics: EmbeddingStatistics) {
    const { means, axes, variances } = statistics;
    this.dim = means[0]?.length ?? 0;
    const rank = axes.length;
    if (means.length === 0 || this.dim === 0) throw new Error('the embedding statistics have no class means');
    if (axes.some((axis) => axis.length !== this.dim) || means.some((mean) => mean.length !== this.dim) || variances.length !== rank) {
      throw new Error('the embedding statistics are malformed: their means, axes and variances disagree in size');
    }
    if (rank < this.dim && !(statistics.residualVariance > 0)) throw new Error('the embedding statistics keep fewer axes than dimensions but no residual variance');
    this.axes = Float64Array.from(axes.flat());
    this.inverseVariances = Float64Array.from(variances, (v) => 1 / v);
    this.means = Float64Array.from(means.flat());
    this.meanProjections = new Float64Array(means.length * rank);
    this.meanNormsSquared = new Float64Array(means.length);
    means.forEach((mean, c) => {
      this.meanNormsSquared[c] = mean.reduce((sum, v) => sum + v * v, 0);
      for (let j = 0; j < rank; j++) this.meanProjections[c * rank + j] = dot(this.axes, j * this.dim, mean, this.dim);
    });
  }

  score(embedding: ArrayLike<number>): number {
    if (embedding.length !== this.dim) throw new Error(`expected an embedding of ${this.dim} values, got ${embedding.length}`);
    const rank = this.inverseVariances.length;
    const projections = new Float64Array(rank);
    for (let j = 0; j < rank; j++) projections[j] = dot(this.axes, j * this.dim, embedding, this.dim);
    let normSquared = 0;
    for (let d = 0; d < this.dim; d++) normSquared += embedding[d] * embedding[d];
    const residualVariance = this.statistics.residualVariance;
    let best = Infinity;
    for (let c = 0; c < this.meanNormsSquared.length; c++) {
      let crossTerm = 0;
      for (let d = 0; d < this.dim; d++) crossTerm += embedding[d] * this.means[c * this.dim + d];
      const distanceSquared = normSquared - 2 * crossTerm + this.meanNormsSquared[c];
      let explained = 0;
      let score = 0;
      for (let j = 0; j < rank; j++) {
        const along = projections[j] - this.meanProjections[c * rank + j];
        explained += along * along;
        score += along * along * this.inverseVariances[j];
      }
      if (residualVariance > 0) score += Math.max(0, distanceSquared - explained) / residualVariance;
      best = Math.min(best, score);
    }
    return best;
  }
}

function dot(matrix: Float64Array, offset: number, vector: ArrayLike<number>, length: number): number {
  let sum = 0;
  for (let i = 0; i < length; i++) sum += matrix[offset + i] * vector[i];
  return sum;
}

function round(value: number): number {
  return Number(value.toPrecision(SIGNIFICANT_DIGITS));
}
