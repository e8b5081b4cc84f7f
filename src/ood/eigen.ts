/** Eigenvalues and eigenvectors of a symmetric matrix. */
export interface Eigen {
  /** Largest first. */
  values: Float64Array;
  /** Unit eigenvectors as rows (vectors[i] belongs to values[i]), row-major n × n. */
  vectors: Float64Array;
}

const MAX_SWEEPS = 60;

/**
 * Cyclic Jacobi rotations on a symmetric n × n matrix (row-major; not modified): exact to rounding
 * for the embedding sizes here (n ≤ a few hundred), with no dependency.
 */
export function symmetricEigen(matrix: ArrayLike<number>, n: number): Eigen {
  if (matrix.length !== n * n) throw new Error(`expected a ${n} × ${n} matrix, got ${matrix.length} values`);
  const a = Float64Array.from(matrix);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (Math.abs(a[i * n + j] - a[j * n + i]) > 1e-9 * (Math.abs(a[i * n + j]) + Math.abs(a[j * n + i]) + 1e-300)) throw new Error('the matrix is not symmetric');
    }
  }
  // Columns of v are the eigenvectors while rotating.
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0;
    let diagonal = 0;
    for (let i = 0; i < n; i++) {
      diagonal += a[i * n + i] ** 2;
      for (let j = i + 1; j < n; j++) off += a[i * n + j] ** 2;
    }
    if (off <= 1e-30 * diagonal || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) rotate(a, v, n, p, q);
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j] - a[i * n + i]);
  const values = Float64Array.from(order, (i) => a[i * n + i]);
  const vectors = new Float64Array(n * n);
  order.forEach((column, row) => {
    for (let k = 0; k < n; k++) vectors[row * n + k] = v[k * n + column];
  });
  return { values, vectors };
}

/** One Jacobi rotation zeroing a[p][q] (and a[q][p]), accumulated into v. */
function rotate(a: Float64Array, v: Float64Array, n: number, p: number, q: number): void {
  const apq = a[p * n + q];
  if (apq === 0) return;
  const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
  const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  const s = t * c;
  for (let k = 0; k < n; k++) {
    const akp = a[k * n + p];
    const akq = a[k * n + q];
    a[k * n + p] = c * akp - s * akq;
    a[k * n + q] = s * akp + c * akq;
  }
  for (let k = 0; k < n; k++) {
    const apk = a[p * n + k];
    const aqk = a[q * n + k];
    a[p * n + k] = c * apk - s * aqk;
    a[q * n + k] = s * apk + c * aqk;
  }
  for (let k = 0; k < n; k++) {
    const vkp = v[k * n + p];
    const vkq = v[k * n + q];
    v[k * n + p] = c * vkp - s * vkq;
    v[k * n + q] = s * vkp + c * vkq;
  }
}
