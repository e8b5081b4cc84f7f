/** Colour conversions and small linear algebra for stain normalisation. */

export type Vec3 = [number, number, number];

/** Pixels as 8-bit (0..255) or float (0..1) interleaved RGB. */
export type RgbPixels = Uint8Array | Float32Array;

/** Value of channel i in 0..1 whatever the pixel type. */
export function channelScale(pixels: RgbPixels): number {
  return pixels instanceof Uint8Array ? 1 / 255 : 1;
}

const D65: Vec3 = [0.95047, 1, 1.08883];

function toLinear(v: number): number {
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

function toGamma(v: number): number {
  return v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055;
}

function labF(t: number): number {
  return t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116;
}

function labFInverse(f: number): number {
  return f ** 3 > 216 / 24389 ? f ** 3 : (116 * f - 16) / (24389 / 27);
}

/** sRGB (0..1) to CIE L*a*b* (D65). */
export function rgbToLab(r: number, g: number, b: number): Vec3 {
  const lr = toLinear(r);
  const lg = toLinear(g);
  const lb = toLinear(b);
  const x = labF((0.4124564 * lr + 0.3575761 * lg + 0.1804375 * lb) / D65[0]);
  const y = labF((0.2126729 * lr + 0.7151522 * lg + 0.072175 * lb) / D65[1]);
  const z = labF((0.0193339 * lr + 0.119192 * lg + 0.9503041 * lb) / D65[2]);
  return [116 * y - 16, 500 * (x - y), 200 * (y - z)];
}

/** CIE L*a*b* (D65) to sRGB (0..1, not clamped). */
export function labToRgb(l: number, a: number, bStar: number): Vec3 {
  const fy = (l + 16) / 116;
  const x = labFInverse(fy + a / 500) * D65[0];
  const y = labFInverse(fy) * D65[1];
  const z = labFInverse(fy - bStar / 200) * D65[2];
  return [
    toGamma(3.2404542 * x - 1.5371385 * y - 0.4985314 * z),
    toGamma(-0.969266 * x + 1.8760108 * y + 0.041556 * z),
    toGamma(0.0556434 * x - 0.2040259 * y + 1.0572252 * z),
  ];
}

export function normalise(v: Vec3): Vec3 {
  const length = Math.hypot(v[0], v[1], v[2]);
  return length === 0 ? [0, 0, 0] : [v[0] / length, v[1] / length, v[2] / length];
}

/**
 * Eigen-decomposition of a symmetric 3x3 matrix by Jacobi rotations: eigenvalues in decreasing
 * order with their unit eigenvectors.
 */
export function symmetricEigen(matrix: readonly (readonly number[])[]): { values: Vec3; vectors: [Vec3, Vec3, Vec3] } {
  const a = matrix.map((row) => [...row]);
  const v = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ];
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = a[0][1] ** 2 + a[0][2] ** 2 + a[1][2] ** 2;
    if (off < 1e-30) break;
    for (const [p, q] of [[0, 1], [0, 2], [1, 2]]) {
      if (Math.abs(a[p][q]) < 1e-300) continue;
      const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      for (let k = 0; k < 3; k++) {
        const akp = a[k][p];
        const akq = a[k][q];
        a[k][p] = c * akp - s * akq;
        a[k][q] = s * akp + c * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = a[p][k];
        const aqk = a[q][k];
        a[p][k] = c * apk - s * aqk;
        a[q][k] = s * apk + c * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[k][p];
        const vkq = v[k][q];
        v[k][p] = c * vkp - s * vkq;
        v[k][q] = s * vkp + c * vkq;
      }
    }
  }
  const order = [0, 1, 2].sort((i, j) => a[j][j] - a[i][i]);
  return {
    values: order.map((i) => a[i][i]) as Vec3,
    vectors: order.map((i) => [v[0][i], v[1][i], v[2][i]]) as [Vec3, Vec3, Vec3],
  };
}
