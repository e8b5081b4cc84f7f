/**
 * Checking and normalising the inputs every evaluation function takes, so that bad input fails
 * with one clear line instead of a silently wrong number.
 */

/** True class indices, one per sample. */
export type Labels = Int32Array | readonly number[];

/** Per-sample class scores: n × k row-major, or one row per sample. */
export type ScoreMatrix = Float32Array | Float64Array | readonly (readonly number[])[];

/** A checked score matrix in flat row-major form. */
export interface Matrix {
  rows: number;
  columns: number;
  data: Float32Array | Float64Array;
}

export function checkSameLength(what: string, a: ArrayLike<unknown>, b: ArrayLike<unknown>): void {
  if (a.length !== b.length) throw new Error(`${what}: lengths differ (${a.length} vs ${b.length})`);
}

export function checkNonEmpty(what: string, values: ArrayLike<unknown>): void {
  if (values.length === 0) throw new Error(`${what}: empty input`);
}

export function checkClassCount(k: number): void {
  if (!Number.isInteger(k) || k < 2) throw new Error(`number of classes must be an integer >= 2, got ${k}`);
}

/** Throws unless every label is an integer in [0, k). */
export function checkLabels(labels: ArrayLike<number>, k: number, what = 'labels'): void {
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= k) {
      throw new Error(`${what}: value ${label} at index ${i} is not a class index in [0, ${k})`);
    }
  }
}

/** Throws unless every value is 0 or 1. */
export function checkBinaryLabels(labels: ArrayLike<number>): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new Error(`binary labels: value ${labels[i]} at index ${i} is not 0 or 1`);
  }
}

export function checkFinite(what: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new Error(`${what}: value ${values[i]} at index ${i} is not a finite number`);
  }
}

function checkMatrixFinite(what: string, data: ArrayLike<number>, k: number): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new Error(`${what}: value ${data[i]} at sample ${Math.floor(i / k)}, class ${i % k} is not a finite number`);
    }
  }
}

function checkProbabilities(matrix: Matrix): void {
  const { data, columns } = matrix;
  for (let i = 0; i < data.length; i++) {
    if (data[i] < 0 || data[i] > 1) {
      throw new Error(`probabilities: value ${data[i]} at sample ${Math.floor(i / columns)}, class ${i % columns} is not in [0, 1]`);
    }
  }
}

/**
 * Brings a score matrix to flat row-major form with `rows` rows and checks that every entry is
 * finite. `columns`, when omitted, is inferred from the flat length or from the first row.
 */
export function toMatrix(what: string, scores: ScoreMatrix, rows: number, columns?: number): Matrix {
  if (ArrayBuffer.isView(scores)) {
    const k = columns ?? scores.length / rows;
    if (!Number.isInteger(k) || scores.length !== rows * k) {
      throw new Error(`${what}: flat length ${scores.length} is not ${rows} samples × ${columns ?? 'k'} classes`);
    }
    checkMatrixFinite(what, scores, k);
    return { rows, columns: k, data: scores };
  }
  if (scores.length !== rows) throw new Error(`${what}: ${scores.length} rows for ${rows} samples`);
  const k = columns ?? (rows > 0 ? scores[0].length : 0);
  const data = new Float64Array(rows * k);
  for (let i = 0; i < rows; i++) {
    const row = scores[i];
    if (row.length !== k) throw new Error(`${what}: row ${i} has ${row.length} values, expected ${k}`);
    for (let c = 0; c < k; c++) data[i * k + c] = row[c];
  }
  checkMatrixFinite(what, data, k);
  return { rows, columns: k, data };
}

/** A matrix with k columns and as many rows as the input holds. */
export function toMatrixOfWidth(what: string, scores: ScoreMatrix, k: number): Matrix {
  checkClassCount(k);
  checkNonEmpty(what, scores);
  if (ArrayBuffer.isView(scores) && scores.length % k !== 0) {
    throw new Error(`${what}: flat length ${scores.length} is not a multiple of ${k} classes`);
  }
  return toMatrix(what, scores, ArrayBuffer.isView(scores) ? scores.length / k : scores.length, k);
}

/** Index of the largest value in row `row` (the first on ties, like numpy's argmax). */
export function argmaxRow(matrix: Matrix, row: number): number {
  const k = matrix.columns;
  const offset = row * k;
  let best = 0;
  for (let c = 1; c < k; c++) if (matrix.data[offset + c] > matrix.data[offset + best]) best = c;
  return best;
}

export function argmaxRows(matrix: Matrix): Int32Array {
  const predicted = new Int32Array(matrix.rows);
  for (let i = 0; i < matrix.rows; i++) predicted[i] = argmaxRow(matrix, i);
  return predicted;
}

/** Column `column` of the matrix (the scores for one class). */
export function matrixColumn(matrix: Matrix, column: number): Float64Array {
  const values = new Float64Array(matrix.rows);
  for (let i = 0; i < matrix.rows; i++) values[i] = matrix.data[i * matrix.columns + column];
  return values;
}

/** Checked probabilities without labels: k columns, every entry in [0, 1]. */
export function toProbabilities(probabilities: ScoreMatrix, k: number): Matrix {
  const matrix = toMatrixOfWidth('probabilities', probabilities, k);
  checkProbabilities(matrix);
  return matrix;
}

/** Checked labels and probabilities for a k-class problem (k inferred from nested rows or the flat length). */
export function toLabelledProbabilities(labels: Labels, probabilities: ScoreMatrix, k?: number): Matrix {
  checkNonEmpty('labels', labels);
  const matrix = toMatrix('probabilities', probabilities, labels.length, k);
  checkClassCount(matrix.columns);
  checkProbabilities(matrix);
  checkLabels(labels, matrix.columns);
  return matrix;
}
